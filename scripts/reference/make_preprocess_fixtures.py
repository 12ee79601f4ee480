#!/usr/bin/env python3
"""Reference fixtures for image decoding, Pillow resize and Hugging Face preprocessing parity.

Run on a machine with Pillow, numpy and transformers 5.x (torch only if transformers needs it):

    python3 scripts/reference/make_preprocess_fixtures.py [outdir]

outdir defaults to udfs/src/test/resources/preprocess (relative to the repository). Everything is
deterministic (numpy's legacy RandomState with fixed seeds). Output, about 2 MB:

    manifest.json          what follows, with library versions; the Java tests are driven by it
    images/<name>.<ext>    test images in several modes and formats (made with numpy + Pillow)
    decoded/<name>.npy     uint8 [H, W, 3]: Image.open(file).convert("RGB")
    resize/<...>.npy       uint8 [H, W, 3]: Image.fromarray(decoded RGB).resize((w, h), filter)
    hf/<config>/preprocessor_config.json   the config given to the processor (from_pretrained)
    hf/<config>/<image>.npy                float32 [H, W, 3]: the slow (PIL/numpy) processor's
                                           pixel_values for the decoded RGB image, transposed
                                           from HF's [3, H, W] to HWC
"""
import io
import json
import os
import shutil
import sys

import numpy as np
import PIL
from PIL import Image
import transformers

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "udfs", "src", "test", "resources", "preprocess")

FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}
ALL_FILTERS = list(FILTERS)
HF_FILTERS = ["bilinear", "bicubic"]


def pattern(height, width, channels, seed):
    """Noise + gradients + sharp edges, uint8 [H, W, C]."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    gx = xx / max(width - 1, 1)
    gy = yy / max(height - 1, 1)
    checker = (((xx // 4) + (yy // 3)) % 2) * 90.0
    stripe = np.where((xx + 2 * yy) % 11 < 3, 200.0, 0.0)
    out = np.empty((height, width, channels), dtype=np.float64)
    for c in range(channels):
        base = [gx, gy, 1 - gx, gx * gy][c % 4] * 255.0
        noise = rng.uniform(-60, 60, size=(height, width))
        out[..., c] = 0.45 * base + [checker, stripe, checker[::-1] if height > 1 else checker, stripe][c % 4] * 0.6 + noise
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def palette_image(width, height, seed):
    rng = np.random.RandomState(seed)
    index = (pattern(height, width, 1, seed)[..., 0] // 16).astype(np.uint8)  # 16 colours used
    im = Image.frombytes("P", (width, height), index.tobytes())
    im.putpalette(rng.randint(0, 256, size=256 * 3).astype(np.uint8).tolist())
    return im


def make_images():
    """(name, PIL image, save format, save kwargs)."""
    rgb = lambda w, h, s: Image.fromarray(pattern(h, w, 3, s))
    gray = lambda w, h, s: Image.fromarray(pattern(h, w, 1, s)[..., 0])
    i16 = pattern(23, 37, 1, 31)[..., 0].astype(np.uint16)
    # left half large 16-bit values (Pillow saturates them to 255), right half below 256 (kept)
    i16[:, :18] = i16[:, :18] * 257
    bw = pattern(17, 23, 1, 41)[..., 0] > 127
    return [
        ("rgb_300x200", rgb(300, 200, 1), "PNG", {}),
        ("rgb_97x211", rgb(97, 211, 2), "PNG", {}),
        ("rgb_64x64", rgb(64, 64, 3), "PNG", {}),
        ("rgb_37x23", rgb(37, 23, 4), "PNG", {}),
        ("rgb_7x5", rgb(7, 5, 5), "PNG", {}),
        ("rgb_1x1", rgb(1, 1, 6), "PNG", {}),
        ("l_64x64", gray(64, 64, 7), "PNG", {}),
        ("la_37x23", Image.fromarray(pattern(23, 37, 2, 8)), "PNG", {}),
        ("rgba_64x64", Image.fromarray(pattern(64, 64, 4, 9)), "PNG", {}),
        ("p_37x23_trns", palette_image(37, 23, 10), "PNG", {"transparency": 5}),
        ("i16_37x23", Image.fromarray(i16), "PNG", {}),
        ("bw_23x17", Image.fromarray(bw), "PNG", {}),
        ("rgb_64x64_bmp", rgb(64, 64, 11), "BMP", {}),
        ("p_37x23_bmp", palette_image(37, 23, 12), "BMP", {}),
        ("p_37x23_gif", palette_image(37, 23, 13), "GIF", {}),
        ("rgb_200x150_q90", rgb(200, 150, 14), "JPEG", {"quality": 90}),
        ("rgb_97x211_q95_444", rgb(97, 211, 15), "JPEG", {"quality": 95, "subsampling": 0}),
        ("l_64x64_jpeg", gray(64, 64, 16), "JPEG", {"quality": 90}),
    ]


EXTENSIONS = {"PNG": "png", "BMP": "bmp", "GIF": "gif", "JPEG": "jpg"}

# source image -> list of ((width, height), filters); up- and down-sampling, non-square,
# one-direction-only (only one pass runs), and strong reduction (wide antialiasing kernels)
RESIZE_CASES = {
    "rgb_300x200": [((61, 47), ALL_FILTERS), ((13, 9), ALL_FILTERS), ((17, 200), ALL_FILTERS),
                    ((128, 85), HF_FILTERS)],
    "rgb_97x211": [((97, 50), ALL_FILTERS), ((40, 211), ALL_FILTERS)],
    "rgb_37x23": [((80, 50), ALL_FILTERS), ((111, 29), ALL_FILTERS), ((37, 23), ["bilinear"])],
    "rgb_7x5": [((32, 24), ALL_FILTERS), ((3, 11), ALL_FILTERS)],
    "rgb_1x1": [((5, 3), ALL_FILTERS)],
    "l_64x64": [((100, 37), ALL_FILTERS), ((33, 71), ALL_FILTERS)],
    "rgba_64x64": [((48, 48), ALL_FILTERS)],
}

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

HF_CONFIGS = {
    "vit_bilinear_48x40": {
        "image_processor_type": "ViTImageProcessor", "do_resize": True,
        "size": {"height": 48, "width": 40}, "resample": 2, "do_rescale": True,
        "rescale_factor": 0.00392156862745098, "do_normalize": True,
        "image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD,
    },
    "vit_bicubic_36_default_norm": {
        "image_processor_type": "ViTImageProcessor", "size": {"height": 36, "width": 36}, "resample": 3,
    },
    "convnext_crop_pct_56": {
        "image_processor_type": "ConvNextImageProcessor", "do_resize": True,
        "size": {"shortest_edge": 56}, "crop_pct": 0.875, "resample": 3, "do_rescale": True,
        "rescale_factor": 0.00392156862745098, "do_normalize": True,
        "image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD,
    },
    "convnext_crop_pct_48_bilinear": {
        "image_processor_type": "ConvNextImageProcessor",
        "size": {"shortest_edge": 48}, "crop_pct": 0.9, "resample": 2,
        "image_mean": [0.5, 0.4, 0.3], "image_std": [0.2, 0.25, 0.3],
    },
}
HF_IMAGES = ["rgb_300x200", "rgb_97x211", "rgb_37x23"]


def slow_processor_class(family):
    """The PIL/numpy processor: transformers 5.x names it <Family>ImageProcessorPil; before the
    backend split, <Family>ImageProcessor was the slow class (the fast one ends in Fast)."""
    cls = getattr(transformers, family + "ImageProcessorPil", None)
    if cls is None:
        cls = getattr(transformers, family + "ImageProcessor")
    return cls


def check_slow(processor):
    backend = getattr(type(processor), "backend", None)
    backend = backend if isinstance(backend, str) else getattr(processor, "backend", "pil")
    if backend != "pil" or type(processor).__name__.endswith("Fast"):
        sys.exit(f"{type(processor).__name__} is not the slow PIL/numpy processor (backend {backend})")


def save_npy(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(array))


def main():
    out = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    for sub in ("images", "decoded", "resize", "hf"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)

    manifest = {
        "versions": {"pillow": PIL.__version__, "numpy": np.__version__,
                     "transformers": transformers.__version__, "python": sys.version.split()[0]},
        "images": [], "resize": [], "preprocess": [],
    }

    decoded = {}
    for name, im, fmt, kwargs in make_images():
        rel = f"images/{name}.{EXTENSIONS[fmt]}"
        im.save(os.path.join(out, rel), format=fmt, **kwargs)
        with Image.open(os.path.join(out, rel)) as reopened:
            reopened.load()
            mode = reopened.mode
            rgb = np.asarray(reopened.convert("RGB"))
        assert rgb.dtype == np.uint8 and rgb.shape == (im.height, im.width, 3), (name, rgb.shape)
        decoded[name] = rgb
        save_npy(os.path.join(out, f"decoded/{name}.npy"), rgb)
        manifest["images"].append({
            "name": name, "file": rel, "format": fmt, "mode": mode, "saved_mode": im.mode,
            "width": im.width, "height": im.height, "decoded": f"decoded/{name}.npy",
            "lossy": fmt == "JPEG",
        })

    for source, cases in RESIZE_CASES.items():
        src = Image.fromarray(decoded[source])
        for (width, height), filters in cases:
            for flt in filters:
                resized = np.asarray(src.resize((width, height), resample=FILTERS[flt]))
                assert resized.shape == (height, width, 3)
                rel = f"resize/{source}__{flt}__{width}x{height}.npy"
                save_npy(os.path.join(out, rel), resized)
                manifest["resize"].append({
                    "source": f"decoded/{source}.npy", "filter": flt, "pillow_code": FILTERS[flt],
                    "width": width, "height": height, "expected": rel,
                })

    from transformers.image_utils import ChannelDimension

    for config_name, config in HF_CONFIGS.items():
        config_dir = os.path.join(out, "hf", config_name)
        os.makedirs(config_dir, exist_ok=True)
        config_rel = f"hf/{config_name}/preprocessor_config.json"
        with open(os.path.join(out, config_rel), "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)
        family = "ConvNext" if config["image_processor_type"].startswith("ConvNext") else "ViT"
        cls = slow_processor_class(family)
        processor = cls.from_pretrained(config_dir)
        check_slow(processor)
        for image_name in HF_IMAGES:
            result = processor(images=[Image.fromarray(decoded[image_name])], return_tensors="np",
                               input_data_format=ChannelDimension.LAST)
            pixels = np.asarray(result["pixel_values"])
            assert pixels.dtype == np.float32 and pixels.ndim == 4 and pixels.shape[1] == 3, pixels.shape
            hwc = pixels[0].transpose(1, 2, 0)
            rel = f"hf/{config_name}/{image_name}.npy"
            save_npy(os.path.join(out, rel), hwc)
            manifest["preprocess"].append({
                "config": config_rel, "processor": cls.__name__, "input": f"decoded/{image_name}.npy",
                "expected": rel, "height": int(hwc.shape[0]), "width": int(hwc.shape[1]),
            })

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)

    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(out) for f in files)
    print(f"wrote {out}")
    print(f"  versions: {manifest['versions']}")
    print(f"  images: {len(manifest['images'])} ({', '.join(i['name'] + ':' + i['mode'] for i in manifest['images'])})")
    print(f"  resize cases: {len(manifest['resize'])}")
    print(f"  preprocess cases: {len(manifest['preprocess'])} "
          f"({', '.join(sorted({p['processor'] for p in manifest['preprocess']}))})")
    print(f"  total size: {total / 1e6:.2f} MB")
    if total > 2.5e6:
        print("  WARNING: larger than the ~2 MB budget", file=sys.stderr)


if __name__ == "__main__":
    main()
