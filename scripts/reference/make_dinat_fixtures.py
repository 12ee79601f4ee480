"""Reference fixtures for DiNAT parity tests, made with Hugging Face's own modeling code.

Run on a machine with torch, transformers (5.x) and Pillow (the GPU machine; no GPU is needed):

    python3 scripts/reference/make_dinat_fixtures.py --out udfs/src/test/resources/fixtures/dinat

For each case it builds a small random-weight DiNAT model with randomized norms, biases, rpb and layer scale
(HF's default init leaves rpb at zero and norms at identity, which would hide indexing bugs), saves it as a
Hugging Face directory in one of the weight formats we load, writes test images, and stores float64
reference outputs of HF's modules (with NeighborhoodAttention.forward replaced by na_reference.py's exact
rule, since the shipped forward is broken in transformers 5.x). Outputs per case:

    model/                  config.json, preprocessor_config.json, weights
    images/NN_*.png         the inputs
    pixel_values.npy        float32 [N, 3, H, W]: Pillow resize + rescale + normalize (pil_pipeline)
    logits.npy, pooled.npy  float64 [N, labels] / [N, C] from the float64 model on pixel_values
    stage_*.npy             float64 hidden state of image 0 after the embeddings and after each stage (NHWC)
"""
import argparse
import json
import os
import shutil

import numpy as np
import torch
from PIL import Image

import na_reference

import transformers
from transformers import DinatConfig
from transformers.models.dinat import modeling_dinat


# Each case exercises part of the rule: kernel sizes 3/5/7, dilations with lengths not divisible by them,
# non-square maps, padding (map smaller than kernel*dilation), layer scale, the three weight formats.
CASES = [
    dict(name="k7_classifier_safetensors", arch="DinatForImageClassification", fmt="safetensors",
         embed_dim=32, depths=[2, 2, 1], num_heads=[2, 4, 8], kernel_size=7,
         dilations=[[1, 3], [2, 3], [1]], mlp_ratio=2.0, layer_scale=0.0,
         size=(128, 112), labels=7, image_sizes=[(128, 112), (200, 150), (61, 97), (256, 255)]),
    dict(name="k3_layerscale_sharded", arch="DinatForImageClassification", fmt="sharded",
         embed_dim=24, depths=[1, 2, 1], num_heads=[1, 2, 4], kernel_size=3,
         dilations=[[2], [1, 3], [1]], mlp_ratio=3.0, layer_scale=0.5,
         size=(96, 80), labels=5, image_sizes=[(96, 80), (33, 47), (150, 120)]),
    dict(name="k5_model_bin", arch="DinatModel", fmt="bin",
         embed_dim=16, depths=[2, 1], num_heads=[2, 2], kernel_size=5,
         dilations=[[1, 4], [2]], mlp_ratio=2.0, layer_scale=0.0,
         size=(72, 100), labels=0, image_sizes=[(72, 100), (90, 60), (300, 211)]),
]

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def randomize(model: torch.nn.Module, gen: torch.Generator):
    """Every parameter random and non-trivial; scaled so activations stay O(1) through the network."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("rpb"):
                p.copy_(torch.randn(p.shape, generator=gen))
            elif "layer_scale" in name:
                p.copy_(0.3 + torch.rand(p.shape, generator=gen))
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(1.3 * torch.randn(p.shape, generator=gen) / np.sqrt(fan_in))
            else:
                p.copy_(torch.randn(p.shape, generator=gen))


def make_image(rng: np.random.Generator, width: int, height: int, mode: str) -> Image.Image:
    """Smooth blobs + gradients + some noise and hard edges: content the model can tell apart."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.zeros((height, width, 3))
    for c in range(3):
        fx, fy, phase = rng.uniform(0.5, 6, 2).tolist() + [rng.uniform(0, 6.3)]
        img[..., c] = 0.5 + 0.35 * np.sin(fx * x / width * 6.28 + phase) * np.cos(fy * y / height * 6.28)
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    img[(x - cx) ** 2 + (y - cy) ** 2 < (min(width, height) / 4) ** 2] = rng.uniform(0, 1, 3)
    img += rng.normal(0, 0.06, img.shape)
    rgb = Image.fromarray((np.clip(img, 0, 1) * 255).round().astype(np.uint8), "RGB")
    if mode == "L":
        return rgb.convert("L")
    if mode == "RGBA":
        rgba = rgb.convert("RGBA")
        rgba.putalpha(Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8)))
        return rgba
    return rgb


def vit_processor(height: int, width: int):
    """The processor whose preprocessor_config.json ships with the model."""
    from transformers import ViTImageProcessor
    return ViTImageProcessor(do_resize=True, size={"height": height, "width": width}, resample=3,
                             do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
                             image_mean=MEAN, image_std=STD)


def pil_pipeline(image: Image.Image, height: int, width: int) -> np.ndarray:
    """The reference preprocessing: Pillow's antialiased resize on uint8, then rescale and normalize in
    float32, as HF's Pillow-based image processors do. (transformers 5.x's ViTImageProcessor resizes with
    torchvision instead, which differs from Pillow by one grey level on a fraction of pixels; the script
    prints that difference.)"""
    resized = np.asarray(image.resize((width, height), Image.BICUBIC), dtype=np.float32)
    scaled = resized * np.float32(1 / 255)
    normed = (scaled - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return normed.transpose(2, 0, 1)


def save_weights(model, case, model_dir):
    fmt = case["fmt"]
    if fmt == "safetensors":
        model.save_pretrained(model_dir)
    elif fmt == "sharded":
        model.save_pretrained(model_dir, max_shard_size="100KB")
        assert os.path.exists(os.path.join(model_dir, "model.safetensors.index.json")), os.listdir(model_dir)
    elif fmt == "bin":
        model.config.save_pretrained(model_dir)
        torch.save(model.state_dict(), os.path.join(model_dir, "pytorch_model.bin"))
    else:
        raise ValueError(fmt)
    if fmt == "bin":
        for f in os.listdir(model_dir):
            if f.endswith(".safetensors"):
                os.remove(os.path.join(model_dir, f))


def make_case(case, out_root, seed):
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    out = os.path.join(out_root, case["name"])
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "model"))
    os.makedirs(os.path.join(out, "images"))

    height, width = case["size"]
    extra = {}
    if case["labels"]:
        extra["id2label"] = {i: f"class_{chr(97 + i)}" for i in range(case["labels"])}
        extra["label2id"] = {v: k for k, v in extra["id2label"].items()}
    config = DinatConfig(patch_size=4, num_channels=3, embed_dim=case["embed_dim"], depths=case["depths"],
                         num_heads=case["num_heads"], kernel_size=case["kernel_size"],
                         dilations=case["dilations"], mlp_ratio=case["mlp_ratio"], qkv_bias=True,
                         hidden_act="gelu", layer_norm_eps=1e-5,
                         layer_scale_init_value=case["layer_scale"], image_size=max(height, width), **extra)
    cls = getattr(modeling_dinat, case["arch"])
    model = cls(config).eval()
    randomize(model, gen)
    model_dir = os.path.join(out, "model")
    save_weights(model.float(), case, model_dir)
    proc = vit_processor(height, width)
    proc.save_pretrained(model_dir)

    images, pixels = [], []
    modes = ["RGB", "RGB", "L", "RGBA"]
    for i, (h, w) in enumerate(case["image_sizes"]):
        mode = modes[i % len(modes)]
        img = make_image(rng, w, h, mode)
        path = os.path.join(out, "images", f"{i:02d}_{w}x{h}_{mode}.png")
        img.save(path)
        rgb = Image.open(path).convert("RGB")
        pv = pil_pipeline(rgb, height, width)
        hf = np.asarray(proc(images=rgb, return_tensors="np")["pixel_values"][0])
        print(f"  {os.path.basename(path)}: {type(proc).__name__} vs Pillow pipeline, max abs diff "
              f"{np.abs(hf - pv).max():.4f}, pixels differing {(np.abs(hf - pv) > 1e-5).mean():.4%}")
        images.append(path)
        pixels.append(pv)
    pixel_values = np.stack(pixels).astype(np.float32)
    np.save(os.path.join(out, "pixel_values.npy"), pixel_values)

    model64 = model.double()
    with torch.no_grad():
        x = torch.from_numpy(pixel_values).double()
        base = model64 if case["arch"] == "DinatModel" else model64.dinat
        outputs = base(x, output_hidden_states=True)
        pooled = outputs.pooler_output
        np.save(os.path.join(out, "pooled.npy"), pooled.numpy())
        if case["arch"] != "DinatModel":
            logits = model64(x).logits
            np.save(os.path.join(out, "logits.npy"), logits.numpy())
        # hidden_states[0] is the embedding output; hidden_states[s+1] is after stage s (and its downsampler).
        for s, hs in enumerate(outputs.hidden_states):
            np.save(os.path.join(out, f"stage_{s}.npy"), hs[0].numpy())
    spread = (pooled - pooled.mean(0)).norm() / pooled.norm()
    print(f"{case['name']}: {len(images)} images, pooled spread across images {spread:.3f}, "
          f"files {sorted(os.listdir(model_dir))}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="udfs/src/test/resources/fixtures/dinat")
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()
    print("torch", torch.__version__, "transformers", transformers.__version__)
    na_reference.check_axis_rule()
    na_reference.check_na_2d()
    print("neighborhood attention reference: matches the brute-force loop and the spec's worked examples")
    # HF refuses to build DiNAT without the natten package; our forward replaces the part that needs it.
    modeling_dinat.requires_backends = lambda *args, **kwargs: None
    modeling_dinat.NeighborhoodAttention.forward = na_reference.patched_forward
    torch.set_default_dtype(torch.float32)
    for i, case in enumerate(CASES):
        make_case(case, args.out, args.seed + i)


if __name__ == "__main__":
    main()
