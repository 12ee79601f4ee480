"""Reference fixtures for VideoMAE parity tests, made with Hugging Face's own modeling code.

Run on a machine with torch, transformers (5.x) and Pillow (the GPU machine; no GPU is needed):

    cd scripts/reference && python3 make_videomae_fixtures.py --out ../../udfs/src/test/resources/fixtures/videomae

Two small random-weight checkpoints (every parameter random, including norms and the key bias, so that
indexing bugs cannot hide behind identity norms or zero biases):

    cls_keybias/   VideoMAEForVideoClassification, mean pooling + fc_norm, saved by save_pretrained in the
                   transformers 5.x key layout (query/key/value with biases, the key bias non-zero)
    model_legacy/  VideoMAEModel without mean pooling (final layernorm), converted to the original published
                   layout (query/key/value.weight + q_bias and v_bias, no key bias), as pytorch_model.bin

Per case:

    model/                   config.json, weights (+ preprocessor_config.json for cls_keybias)
    pixel_values.npy         float32 [2, T, 3, H, W], the model input
    last_hidden.npy          float64 [2, N, C]: VideoMAEModel's last_hidden_state (dense attention)
    pooled.npy               float64 [2, C]: the clip embedding (classifier input, or the token mean)
    logits.npy               float64 [2, labels] (classifier only)
    long_pixel_values.npy    float32 [1, T_long, 3, H, W]: a clip longer than num_frames
    long_<mode>_*.npy        the same outputs on the long clip for each attention mode in masks.json; the
                             position table is extended with get_sinusoid_encoding_table(n_long, C)
    masks.json               the attention modes, their parameters and their densities
    position_table.npy       float32 [n_long, C] (cls_keybias): HF's sinusoid table for the long clip
    frames_u8.npy            uint8 [2, T, H0, W0, 3] (cls_keybias): the raw frames behind pixel_values,
                             which are Pillow resize (shortest edge, bilinear) + center crop + rescale +
                             normalize of each frame, as HF's Pillow-based VideoMAEImageProcessor does

The radial and na3d outputs replace only the attention probabilities: a forward hook on every
VideoMAESelfAttention recomputes q, k, v from the module's own weights and applies softmax over exactly the
pairs that an explicit dense mask allows. The masks are built here, token by token, from the rules in
docs/design/radial-attention.md and neighborhood-attention.md (independently of the Java code); the hook is
checked against HF's unhooked dense forward first.
"""
import argparse
import inspect
import json
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import na_reference

import transformers
from transformers import VideoMAEConfig
from transformers.models.videomae import modeling_videomae as mv

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

CASES = [
    dict(name="cls_keybias", arch="VideoMAEForVideoClassification", layout="5.x",
         image_size=32, patch_size=8, tubelet=2, num_frames=8, hidden=48, heads=3, layers=2,
         intermediate=96, eps=1e-12, mean_pooling=True, labels=5, raw_size=(40, 48), long_frames=16,
         modes=[dict(name="radial", kind="radial", dense_layers=1, delta=1.0, sink=False),
                dict(name="na3d", kind="na3d", kernel=[3, 3, 3], dilation=[2, 1, 1])]),
    dict(name="model_legacy", arch="VideoMAEModel", layout="original",
         image_size=16, patch_size=8, tubelet=2, num_frames=8, hidden=48, heads=3, layers=2,
         intermediate=96, eps=1e-6, mean_pooling=False, labels=0, raw_size=(20, 24), long_frames=40,
         modes=[dict(name="radial", kind="radial", dense_layers=0, delta=1.5, sink=True)]),
]


# ---- masks, from the design notes ----------------------------------------------------------------------

def radial_allowed(i, k, j, l, S, delta, sink):
    """radial-attention.md: query (frame i, position k) may attend key (frame j, position l)."""
    if sink and j == 0:
        return True
    dist = abs(i - j)
    if dist <= 1:
        return True
    r = dist.bit_length() - 1  # floor(log2(dist)) without floating point
    if 2 ** r <= S:
        return abs(k - l) + 1 <= delta * S / 2 ** r
    return dist % -(-(2 ** r) // S) == 0 and k == l


def radial_mask(frames, S, delta, sink):
    n = frames * S
    m = np.zeros((n, n), dtype=bool)
    for q in range(n):
        for key in range(n):
            m[q, key] = radial_allowed(q // S, q % S, key // S, key % S, S, delta, sink)
    return m


def check_radial_rule():
    # The spec's worked cases.
    assert radial_allowed(0, 0, 2, 7, 16, 1.0, False) and not radial_allowed(0, 0, 2, 8, 16, 1.0, False)
    assert radial_allowed(0, 3, 8, 3, 4, 1.0, False) and not radial_allowed(0, 3, 8, 2, 4, 1.0, False)
    assert not radial_allowed(0, 3, 9, 3, 4, 1.0, False)
    assert radial_allowed(0, 0, 1, 15, 16, 1.0, False) and radial_allowed(3, 0, 0, 15, 16, 1.0, True)


def na3d_mask(extent, kernel, dilation):
    """neighborhood-attention.md's axis rule applied per axis (T, H, W); no rpb."""
    windows = [na_reference.axis_windows(L, k, d)[0].tolist() for L, k, d in zip(extent, kernel, dilation)]
    T, H, W = extent
    n = T * H * W
    m = np.zeros((n, n), dtype=bool)
    for t in range(T):
        for y in range(H):
            for x in range(W):
                q = (t * H + y) * W + x
                for kt in windows[0][t]:
                    for ky in windows[1][y]:
                        for kx in windows[2][x]:
                            m[q, (kt * H + ky) * W + kx] = True
    return m


# ---- the model -----------------------------------------------------------------------------------------

def randomize(model, gen):
    """Every parameter random and non-trivial; scaled so activations stay O(1) through the network."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() >= 2:
                p.copy_(1.3 * torch.randn(p.shape, generator=gen) / np.sqrt(p[0].numel()))
            else:
                p.copy_(torch.randn(p.shape, generator=gen))


def self_attentions(base):
    return [layer.attention.attention for layer in base.encoder.layer]


def masked_attention(mod, hidden, mask, heads):
    """Softmax attention over exactly the pairs mask allows (None: all), from the module's own weights."""
    b, n, c = hidden.shape
    hd = c // heads

    def bias(linear, legacy_name):
        return linear.bias if linear.bias is not None else getattr(mod, legacy_name, None)

    q = F.linear(hidden, mod.query.weight, bias(mod.query, "q_bias"))
    k = F.linear(hidden, mod.key.weight, mod.key.bias)
    v = F.linear(hidden, mod.value.weight, bias(mod.value, "v_bias"))
    q, k, v = (t.view(b, n, heads, hd).transpose(1, 2) for t in (q, k, v))
    scores = (q @ k.transpose(-1, -2)) * hd ** -0.5
    if mask is not None:
        scores = scores.masked_fill(~torch.from_numpy(mask), float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    return (probs @ v).transpose(1, 2).reshape(b, n, c)


def install_masks(base, masks, heads):
    """Hooks that replace each self-attention's output; masks[i] is layer i's dense bool mask or None."""
    handles = []
    for module, mask in zip(self_attentions(base), masks):
        def hook(mod, args, kwargs, output, mask=mask):
            hidden = args[0] if args else kwargs["hidden_states"]
            ctx = masked_attention(mod, hidden, mask, heads)
            return (ctx,) + tuple(output[1:]) if isinstance(output, tuple) else ctx
        handles.append(module.register_forward_hook(hook, with_kwargs=True))
    return handles


def sinusoid_table(n_position, hidden):
    if hasattr(mv, "get_sinusoid_encoding_table"):
        return mv.get_sinusoid_encoding_table(n_position, hidden)
    raise RuntimeError("modeling_videomae has no get_sinusoid_encoding_table; update the script")


def set_position_table(base, table):
    base.embeddings.position_embeddings = table


def run(model, case, pixel_values):
    """float64 outputs: last hidden state, clip embedding, logits (or None)."""
    with torch.no_grad():
        x = torch.from_numpy(pixel_values).double()
        if case["arch"] == "VideoMAEModel":
            last = model(x).last_hidden_state
            return last, last.mean(1), None
        last = model.videomae(x).last_hidden_state
        pooled = model.fc_norm(last.mean(1)) if model.fc_norm is not None else last[:, 0]
        logits = model(x).logits
        assert torch.allclose(model.classifier(pooled), logits, rtol=0, atol=1e-12)
        return last, pooled, logits


def save_outputs(out, prefix, outputs):
    last, pooled, logits = outputs
    np.save(os.path.join(out, prefix + "last_hidden.npy"), last.numpy())
    np.save(os.path.join(out, prefix + "pooled.npy"), pooled.numpy())
    if logits is not None:
        np.save(os.path.join(out, prefix + "logits.npy"), logits.numpy())


# ---- inputs --------------------------------------------------------------------------------------------

def make_frames(rng, frames, height, width):
    """A moving blob over drifting sinusoids, plus noise: content that changes with time and space."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    phase = rng.uniform(0, 6.3, 3)
    freq = rng.uniform(0.5, 4, (3, 2))
    cx, cy, vx, vy = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(-3, 3), rng.uniform(-3, 3)
    colour = rng.uniform(0, 1, 3)
    out = np.zeros((frames, height, width, 3), dtype=np.uint8)
    for t in range(frames):
        img = np.zeros((height, width, 3))
        for c in range(3):
            img[..., c] = 0.5 + 0.35 * np.sin(freq[c, 0] * x / width * 6.28 + phase[c] + 0.4 * t) \
                * np.cos(freq[c, 1] * y / height * 6.28)
        img[(x - cx - vx * t) ** 2 + (y - cy - vy * t) ** 2 < (min(width, height) / 4) ** 2] = colour
        img += rng.normal(0, 0.05, img.shape)
        out[t] = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
    return out


def pil_frame(frame, crop):
    """Pillow resize (shortest edge to crop, bilinear, antialiased) -> center crop -> rescale -> normalize."""
    h, w = frame.shape[:2]
    if w <= h:
        size = (crop, int(crop * h / w))  # (width, height)
    else:
        size = (int(crop * w / h), crop)
    resized = np.asarray(Image.fromarray(frame).resize(size, Image.BILINEAR), dtype=np.float32)
    top, left = (resized.shape[0] - crop) // 2, (resized.shape[1] - crop) // 2
    cropped = resized[top:top + crop, left:left + crop]
    scaled = (cropped.astype(np.float64) * (1 / 255)).astype(np.float32)
    normed = (scaled - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return normed.transpose(2, 0, 1)


def preprocessor_config(crop):
    return {"image_processor_type": "VideoMAEImageProcessor", "do_resize": True, "size": {"shortest_edge": crop},
            "resample": 2, "do_center_crop": True, "crop_size": {"height": crop, "width": crop},
            "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
            "image_mean": MEAN, "image_std": STD}


def compare_with_hf_processor(frames, crop, pixel_values):
    try:
        from transformers import VideoMAEImageProcessor
        proc = VideoMAEImageProcessor(**{k: v for k, v in preprocessor_config(crop).items()
                                         if k != "image_processor_type"})
        hf = np.asarray(proc(list(frames), return_tensors="np")["pixel_values"][0])
        print(f"  VideoMAEImageProcessor vs Pillow pipeline: max abs diff {np.abs(hf - pixel_values).max():.4f}")
    except Exception as e:  # informative only
        print(f"  (VideoMAEImageProcessor comparison skipped: {e!r})")


# ---- checkpoints ---------------------------------------------------------------------------------------

def to_original_layout(state):
    """5.x names -> the published layout: q_bias, v_bias, and no key bias (it must be zero)."""
    out = {}
    for name, t in state.items():
        if name.endswith("attention.attention.key.bias"):
            assert torch.count_nonzero(t) == 0, name
            continue
        name = name.replace("attention.attention.query.bias", "attention.attention.q_bias")
        name = name.replace("attention.attention.value.bias", "attention.attention.v_bias")
        out[name] = t.detach().clone().contiguous()
    return out


def build_model(case, gen):
    extra = {}
    if case["labels"]:
        extra["id2label"] = {i: f"action_{chr(97 + i)}" for i in range(case["labels"])}
        extra["label2id"] = {v: k for k, v in extra["id2label"].items()}
    config = VideoMAEConfig(image_size=case["image_size"], patch_size=case["patch_size"], num_channels=3,
                            num_frames=case["num_frames"], tubelet_size=case["tubelet"],
                            hidden_size=case["hidden"], num_hidden_layers=case["layers"],
                            num_attention_heads=case["heads"], intermediate_size=case["intermediate"],
                            hidden_act="gelu", layer_norm_eps=case["eps"], qkv_bias=True,
                            use_mean_pooling=case["mean_pooling"], **extra)
    config._attn_implementation = "eager"
    model = getattr(mv, case["arch"])(config).eval()
    randomize(model, gen)
    return model


def make_case(case, out_root, seed):
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    out = os.path.join(out_root, case["name"])
    shutil.rmtree(out, ignore_errors=True)
    model_dir = os.path.join(out, "model")
    os.makedirs(model_dir)

    model = build_model(case, gen)
    base = model if case["arch"] == "VideoMAEModel" else model.videomae
    state = model.state_dict()
    key_bias = [n for n in state if n.endswith("attention.attention.key.bias")]
    print(f"{case['name']}: layer-0 attention keys "
          f"{sorted(n for n in state if 'layer.0.attention.attention' in n)}")
    if case["layout"] == "original":
        with torch.no_grad():
            for n in key_bias:
                state[n].zero_()  # the published layout has no key bias: HF must compute with zero
        model.config.save_pretrained(model_dir)
        torch.save(to_original_layout(model.float().state_dict()), os.path.join(model_dir, "pytorch_model.bin"))
    else:
        assert key_bias, "this transformers has no key bias parameter; the 5.x layout case cannot be made"
        assert all(torch.count_nonzero(state[n]) > 0 for n in key_bias)
        model.float().save_pretrained(model_dir)
    crop, (h0, w0) = case["image_size"], case["raw_size"]
    with open(os.path.join(model_dir, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor_config(crop), f, indent=2)

    frames = np.stack([make_frames(rng, case["num_frames"], h0, w0) for _ in range(2)])
    pixel_values = np.stack([np.stack([pil_frame(f, crop) for f in clip]) for clip in frames]).astype(np.float32)
    compare_with_hf_processor(frames[0], crop, pixel_values[0])
    np.save(os.path.join(out, "pixel_values.npy"), pixel_values)
    if case["name"] == "cls_keybias":
        np.save(os.path.join(out, "frames_u8.npy"), frames)

    model = model.double()
    dense = run(model, case, pixel_values)
    save_outputs(out, "", dense)
    spread = (dense[1] - dense[1].mean(0)).norm() / dense[1].norm()
    print(f"  pooled spread across clips {spread:.3f}")

    # A longer clip: the position table is a function of position, extended to the longer sequence.
    long_pv = np.stack([pil_frame(f, crop) for f in make_frames(rng, case["long_frames"], h0, w0)])[None]
    long_pv = long_pv.astype(np.float32)
    np.save(os.path.join(out, "long_pixel_values.npy"), long_pv)
    grid = case["image_size"] // case["patch_size"]
    frames_latent, s = case["long_frames"] // case["tubelet"], grid * grid
    n_long = frames_latent * s
    n_short = case["num_frames"] // case["tubelet"] * s
    table = sinusoid_table(n_long, case["hidden"])
    assert torch.equal(table[:, :n_short], sinusoid_table(n_short, case["hidden"])), "table depends on length"
    if case["name"] == "cls_keybias":
        np.save(os.path.join(out, "position_table.npy"), table[0].numpy().astype(np.float32))
    set_position_table(base, table)
    save_outputs(out, "long_dense_", run(model, case, long_pv))

    # The hook with no mask must reproduce HF's dense forward: it proves the hook reads the weights right.
    handles = install_masks(base, [None] * case["layers"], case["heads"])
    hooked = run(model, case, long_pv)
    for h in handles:
        h.remove()
    reference = run(model, case, long_pv)
    err = (hooked[0] - reference[0]).abs().max() / reference[0].abs().max()
    assert err < 1e-12, f"hooked dense attention differs from HF: {err}"

    described = []
    for mode in case["modes"]:
        if mode["kind"] == "radial":
            mask = radial_mask(frames_latent, s, mode["delta"], mode["sink"])
            masks = [None] * mode["dense_layers"] + [mask] * (case["layers"] - mode["dense_layers"])
        else:
            mask = na3d_mask((frames_latent, grid, grid), mode["kernel"], mode["dilation"])
            assert (mask.sum(1) == np.prod(mode["kernel"])).all()
            masks = [mask] * case["layers"]
        handles = install_masks(base, masks, case["heads"])
        outputs = run(model, case, long_pv)
        for h in handles:
            h.remove()
        save_outputs(out, f"long_{mode['name']}_", outputs)
        change = (outputs[0] - reference[0]).abs().max() / reference[0].abs().max()
        described.append(dict(mode, frames=frames_latent, tokens_per_frame=s, height=grid, width=grid,
                              density=float(mask.mean())))
        print(f"  {mode['name']}: density {mask.mean():.4f}, relative change vs dense {change:.3f}")
    with open(os.path.join(out, "masks.json"), "w") as f:
        json.dump(described, f, indent=2)
    print(f"  files {sorted(os.listdir(model_dir))}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="../../udfs/src/test/resources/fixtures/videomae")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    print("torch", torch.__version__, "transformers", transformers.__version__)
    print(inspect.getsource(mv.VideoMAESelfAttention.__init__))
    check_radial_rule()
    na_reference.check_axis_rule()
    torch.set_default_dtype(torch.float32)
    for i, case in enumerate(CASES):
        make_case(case, args.out, args.seed + i)


if __name__ == "__main__":
    main()
