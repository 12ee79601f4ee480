"""Reference fixtures for the UperNet + DiNAT segmentation tests, made with Hugging Face's own modeling code.

Run on a machine with torch, transformers (5.x) and Pillow (the GPU machine; no GPU is needed):

    cd scripts/reference && python3 make_upernet_fixtures.py --out ../../udfs/src/test/resources/fixtures/upernet

Each case builds a small random-weight UperNetForSemanticSegmentation on a DinatBackbone at a non-square
input size. Every parameter is randomized as in make_dinat_fixtures.py, and so are the batch-norm running
statistics (HF's defaults, mean 0 / var 1, would hide a swapped mean and variance). NeighborhoodAttention's
forward is replaced by na_reference.py's exact rule, as for the DiNAT fixtures. Outputs per case:

    model/                   config.json, preprocessor_config.json, weights
    images/NN_WxH_MODE.png   the inputs, at sizes other than the model's
    pixel_values.npy         float32 [N, 3, H, W]: Pillow resize + rescale + normalize (pil_pipeline)
    logits.npy               [N, labels, H, W] from the float64 model on pixel_values, at the model's input
                             size (float64; float32 for the many-class case, to keep the fixtures small:
                             the rounding, ~6e-8 relative, is far below the tests' 1e-4)
    feature_<stage>.npy      float64 backbone feature map of image 0 after its hidden_states_norms (NHWC)
    labels_NN.npy            int64 [h, w]: post_process_semantic_segmentation(outputs, target_sizes) of image
                             NN at its original size (bilinear resize of the logits, then argmax)
"""
import argparse
import json
import os
import shutil

import numpy as np
import torch
from PIL import Image

import make_dinat_fixtures as dinat_fixtures
import na_reference

import transformers
from transformers import DinatConfig, UperNetConfig
from transformers.modeling_outputs import SemanticSegmenterOutput
from transformers.models.dinat import modeling_dinat
from transformers.models.upernet import modeling_upernet

# Case 1: four stages and every out feature, an auxiliary head to ignore, maps smaller than the dilated
# window (padding) and than the largest pool scale (overlapping adaptive-pool bins).
# Case 2: more than 256 classes (16-bit masks), out_features skipping stage1, a pytorch_model.bin.
CASES = [
    dict(name="k3_four_stages_safetensors", fmt="safetensors",
         backbone=dict(embed_dim=8, depths=[1, 1, 2, 1], num_heads=[1, 2, 2, 4], kernel_size=3,
                       dilations=[[2], [1], [1, 2], [1]], mlp_ratio=2.0,
                       out_features=["stage1", "stage2", "stage3", "stage4"]),
         hidden_size=16, pool_scales=[1, 2, 3, 6], auxiliary_head=True, labels=5, size=(64, 96),
         image_sizes=[(70, 100), (90, 57), (64, 96)], logits_dtype=np.float64),
    dict(name="k5_many_classes_bin", fmt="bin",
         backbone=dict(embed_dim=8, depths=[1, 1, 1], num_heads=[1, 1, 2], kernel_size=5,
                       dilations=[[1], [2], [1]], mlp_ratio=2.0, out_features=["stage2", "stage3"]),
         hidden_size=8, pool_scales=[1, 2, 3], auxiliary_head=False, labels=260, size=(24, 40),
         image_sizes=[(45, 37)], logits_dtype=np.float32),
]


def randomize_batch_norm_stats(model: torch.nn.Module, gen: torch.Generator):
    """Running mean and variance are buffers, not parameters: dinat_fixtures.randomize leaves them alone."""
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.copy_(0.3 * torch.randn(buf.shape, generator=gen))
            elif name.endswith("running_var"):
                buf.copy_(0.4 + torch.rand(buf.shape, generator=gen))


def post_process(logits: torch.Tensor, target_sizes):
    """HF's post_process_semantic_segmentation; the same arithmetic spelled out if the processor is absent."""
    outputs = SemanticSegmenterOutput(logits=logits)
    try:
        from transformers import SegformerImageProcessor
        maps = SegformerImageProcessor().post_process_semantic_segmentation(outputs, target_sizes=target_sizes)
        source = "SegformerImageProcessor.post_process_semantic_segmentation"
    except Exception as e:  # noqa: BLE001 - any failure of the processor falls back to the same arithmetic
        maps, source = None, f"inline ({type(e).__name__}: {e})"
    mine = [torch.nn.functional.interpolate(logits[i:i + 1], size=s, mode="bilinear", align_corners=False)[0]
            .argmax(dim=0) for i, s in enumerate(target_sizes)]
    if maps is None:
        maps = mine
    for a, b in zip(maps, mine):
        assert torch.equal(a.cpu(), b.cpu()), "post-processing disagrees with interpolate + argmax"
    return [m.cpu().numpy().astype(np.int64) for m in maps], source


def top_two_margin(logits: torch.Tensor, size) -> np.ndarray:
    up = torch.nn.functional.interpolate(logits, size=size, mode="bilinear", align_corners=False)[0]
    top = up.topk(2, dim=0).values
    return (top[0] - top[1]).numpy()


def make_case(case, out_root, seed):
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    out = os.path.join(out_root, case["name"])
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "model"))
    os.makedirs(os.path.join(out, "images"))

    height, width = case["size"]
    b = case["backbone"]
    backbone = DinatConfig(patch_size=4, num_channels=3, embed_dim=b["embed_dim"], depths=b["depths"],
                           num_heads=b["num_heads"], kernel_size=b["kernel_size"], dilations=b["dilations"],
                           mlp_ratio=b["mlp_ratio"], qkv_bias=True, hidden_act="gelu", layer_norm_eps=1e-5,
                           layer_scale_init_value=0.0, out_features=b["out_features"])
    id2label = {i: f"label_{i:03d}" for i in range(case["labels"])}
    stage_dims = {f"stage{s + 1}": b["embed_dim"] * 2 ** s for s in range(len(b["depths"]))}
    config = UperNetConfig(backbone_config=backbone, hidden_size=case["hidden_size"],
                           pool_scales=case["pool_scales"], use_auxiliary_head=case["auxiliary_head"],
                           auxiliary_in_channels=stage_dims["stage3"], auxiliary_channels=8,
                           auxiliary_num_convs=1, auxiliary_concat_input=False,
                           id2label=id2label, label2id={v: k for k, v in id2label.items()})
    model = modeling_upernet.UperNetForSemanticSegmentation(config).eval()
    dinat_fixtures.randomize(model, gen)
    randomize_batch_norm_stats(model, gen)
    model_dir = os.path.join(out, "model")
    dinat_fixtures.save_weights(model.float(), case, model_dir)
    dinat_fixtures.vit_processor(height, width).save_pretrained(model_dir)

    modes = ["RGB", "L", "RGBA"]
    paths, pixels = [], []
    for i, (h, w) in enumerate(case["image_sizes"]):
        mode = modes[i % len(modes)]
        path = os.path.join(out, "images", f"{i:02d}_{w}x{h}_{mode}.png")
        dinat_fixtures.make_image(rng, w, h, mode).save(path)
        pixels.append(dinat_fixtures.pil_pipeline(Image.open(path).convert("RGB"), height, width))
        paths.append(path)
    pixel_values = np.stack(pixels).astype(np.float32)
    np.save(os.path.join(out, "pixel_values.npy"), pixel_values)

    model64 = model.double()
    with torch.no_grad():
        x = torch.from_numpy(pixel_values).double()
        logits = model64(pixel_values=x).logits
        features = model64.backbone(x).feature_maps
    assert tuple(logits.shape) == (len(paths), case["labels"], height, width), logits.shape
    np.save(os.path.join(out, "logits.npy"), logits.numpy().astype(case["logits_dtype"]))
    for stage, fmap in zip(b["out_features"], features):
        np.save(os.path.join(out, f"feature_{stage}.npy"), fmap[0].permute(1, 2, 0).contiguous().numpy())

    sizes = [tuple(s) for s in case["image_sizes"]]
    maps, source = post_process(logits, sizes)
    for i, label_map in enumerate(maps):
        np.save(os.path.join(out, f"labels_{i:02d}.npy"), label_map)
        margin = top_two_margin(logits[i:i + 1], sizes[i])
        counts = np.bincount(label_map.ravel(), minlength=case["labels"])
        present = {int(c): round(float(n) / label_map.size, 3) for c, n in enumerate(counts) if n}
        print(f"  {os.path.basename(paths[i])}: classes present {len(present)} "
              f"{dict(list(present.items())[:8])}, pixels with margin < 1e-4: {(margin < 1e-4).mean():.4%}")
    spread = (logits - logits.mean(0)).norm() / logits.norm()
    print(f"{case['name']}: logits {tuple(logits.shape)}, spread across images {spread:.3f}, "
          f"label maps by {source}, files {sorted(os.listdir(model_dir))}")
    with open(os.path.join(model_dir, "config.json")) as f:
        print("  config.json backbone_config:", {k: v for k, v in json.load(f)["backbone_config"].items()
                                               if k in ("model_type", "out_features", "out_indices",
                                                        "stage_names", "depths")})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="../../udfs/src/test/resources/fixtures/upernet")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    print("torch", torch.__version__, "transformers", transformers.__version__)
    na_reference.check_axis_rule()
    na_reference.check_na_2d()
    # HF refuses to build DiNAT without the natten package; our forward replaces the part that needs it.
    modeling_dinat.requires_backends = lambda *args, **kwargs: None
    modeling_dinat.NeighborhoodAttention.forward = na_reference.patched_forward
    torch.set_default_dtype(torch.float32)
    os.makedirs(args.out, exist_ok=True)
    for i, case in enumerate(CASES):
        make_case(case, args.out, args.seed + i)


if __name__ == "__main__":
    main()
