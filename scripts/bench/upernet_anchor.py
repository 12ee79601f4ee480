"""UperNet + DiNAT-mini semantic segmentation anchor (run on the GPU machine, from run_device.sh's `segment`
step): Hugging Face's UperNetForSemanticSegmentation on a DinatBackbone in bf16, its NeighborhoodAttention
through torch.compile'd flex_attention with the neighborhood block mask + rpb score_mod (dinat_anchor.py's
implementation, imported, made batch-size agnostic below), everything else eager.

Two commands, so that ours (io.vicinity.udfs.gpu.UperNetBenchmark) can run between them on the same files:

    python3 upernet_anchor.py write MODEL_DIR [size]
        builds the random-weight model (DiNAT-mini backbone, UperNet hidden 512, pool scales 1/2/3/6, 150
        labels as ADE20K, no auxiliary head), saves it with save_pretrained (float32 safetensors), and stores
        a check input (check_pixels.npy, [1, 3, size, size]) with its float32 logits at the input size
        (check_logits.npy), computed with the exact gather NA of scripts/reference/na_reference.py.
    python3 upernet_anchor.py time MODEL_DIR [batches=8,16] [iters=10] [size=512]
        loads MODEL_DIR with from_pretrained, casts to bf16 and times model(pixel_values).logits (logits at the
        input size, on the GPU) and model.backbone alone, per batch size; then checks the flex model against
        check_logits.npy and prints a torch-profiler breakdown of one forward.
"""
import itertools
import json
import os
import sys
import time

import numpy as np
import torch

import dinat_anchor  # sets dynamo's limits, lets HF build DiNAT without natten, puts scripts/reference on sys.path
import make_dinat_fixtures  # noqa: E402 (scripts/reference)
import make_upernet_fixtures  # noqa: E402
import na_reference  # noqa: E402
from transformers import DinatConfig, UperNetConfig  # noqa: E402
from transformers.models.dinat import modeling_dinat  # noqa: E402
from transformers.models.upernet.modeling_upernet import UperNetForSemanticSegmentation  # noqa: E402

dev = "cuda"
P = "[seg-anchor]"
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]

_flex_for_static = dinat_anchor.flex_for


def _flex_for_any_batch(height, width, k, d):
    """dinat_anchor's compiled NA with the batch dimension marked dynamic, so batch sizes 8, 16 and the check's 2
    share one compilation per map shape (otherwise dynamo recompiles every shape once more)."""
    fn = _flex_for_static(height, width, k, d)

    def call(q, key, v, rpb):
        for t in (q, key, v):
            torch._dynamo.maybe_mark_dynamic(t, 0)
        return fn(q, key, v, rpb)
    return call


dinat_anchor.flex_for = _flex_for_any_batch  # flex_forward looks flex_for up in dinat_anchor's globals


def write(out_dir, size):
    gen = torch.Generator().manual_seed(20261202)
    backbone = DinatConfig(patch_size=4, num_channels=3, qkv_bias=True, hidden_act="gelu", layer_norm_eps=1e-5,
                           layer_scale_init_value=0.0, out_features=["stage1", "stage2", "stage3", "stage4"],
                           **dinat_anchor.MINI)
    id2label = {i: f"ade_{i:03d}" for i in range(150)}
    config = UperNetConfig(backbone_config=backbone, hidden_size=512, pool_scales=[1, 2, 3, 6],
                           use_auxiliary_head=False, id2label=id2label, label2id={v: k for k, v in id2label.items()})
    model = UperNetForSemanticSegmentation(config).eval()
    # Every parameter random and O(1)-preserving (HF's init leaves rpb at zero and norms at identity), and
    # random batch-norm statistics, as in the parity fixtures.
    make_dinat_fixtures.randomize(model, gen)
    make_upernet_fixtures.randomize_batch_norm_stats(model, gen)
    model.save_pretrained(out_dir)
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump({"image_processor_type": "SegformerImageProcessor", "do_resize": True,
                   "size": {"height": size, "width": size}, "resample": 2, "do_rescale": True,
                   "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": MEAN, "image_std": STD,
                   "do_reduce_labels": False}, f)
    params = sum(p.numel() for p in model.parameters())
    print(f"{P} wrote {out_dir}: {params / 1e6:.1f} M parameters, files {sorted(os.listdir(out_dir))}")

    # Reference logits for one check image: float32, exact gather NA, no TF32.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    modeling_dinat.NeighborhoodAttention.forward = na_reference.patched_forward
    px = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = model.to(dev)(pixel_values=px.to(dev)).logits.float().cpu()
    np.save(os.path.join(out_dir, "check_pixels.npy"), px.numpy())
    np.save(os.path.join(out_dir, "check_logits.npy"), ref.numpy())
    labels = ref[0].argmax(0)
    print(f"{P} check logits {tuple(ref.shape)} (float32, gather NA): std {ref.std().item():.3g}, "
          f"{labels.unique().numel()} classes in the arg-max map")


def time_main(model_dir, batches, iters, size):
    model, info = UperNetForSemanticSegmentation.from_pretrained(model_dir, output_loading_info=True)
    print(f"{P} loaded {model_dir} with from_pretrained; loading info: {info}")
    model = model.to(dev).to(torch.bfloat16).eval()
    modeling_dinat.NeighborhoodAttention.forward = dinat_anchor.flex_forward
    name = f"{torch.cuda.get_device_name()}, torch {torch.__version__}"
    done = []
    for batch in batches:
        pvs = [torch.randn(batch, 3, size, size, device=dev, dtype=torch.bfloat16) for _ in range(3)]
        turn = itertools.count()
        try:
            with torch.inference_mode():
                t0 = time.time()
                model(pixel_values=pvs[0])
                torch.cuda.synchronize()
                print(f"{P} batch {batch}: first call {time.time() - t0:.1f} s "
                      f"({len(dinat_anchor._flex)} compiled NA shapes so far)")
                ms = dinat_anchor.time_ms(lambda: model(pixel_values=pvs[next(turn) % 3]).logits, iters)
                bms = dinat_anchor.time_ms(lambda: model.backbone(pvs[next(turn) % 3]).feature_maps, iters)
        except torch.cuda.OutOfMemoryError as e:
            print(f"{P} batch {batch}: out of memory ({str(e).splitlines()[0]})")
            continue
        finally:
            del pvs
        done.append(batch)
        print(f"{P} batch {batch:2d} | HF UperNet + DiNAT-mini bf16, compiled flex NA, logits at {size}x{size} | "
              f"{ms:8.2f} ms/batch | {batch / ms * 1e3:7.1f} images/s ({name})")
        print(f"{P} batch {batch:2d} | backbone only (model.backbone) | {bms:8.2f} ms/batch | "
              f"{batch / bms * 1e3:7.1f} images/s  => head + upsampling {ms - bms:.2f} ms, backbone {100 * bms / ms:.1f}%")

    check = os.path.join(model_dir, "check_logits.npy")
    if os.path.exists(check):
        px = torch.from_numpy(np.load(os.path.join(model_dir, "check_pixels.npy"))).to(dev, torch.bfloat16)
        ref = torch.from_numpy(np.load(check)).to(dev)
        with torch.inference_mode():  # batch 2: batch 1 would be a new (specialised) compilation
            got = model(pixel_values=px.expand(2, -1, -1, -1).contiguous()).logits[:1].float()
        rel_l2 = ((got - ref).norm() / ref.norm()).item()
        max_rel = ((got - ref).abs().max() / ref.abs().max()).item()
        agree = (got.argmax(1) == ref.argmax(1)).float().mean().item()
        print(f"{P} anchor (bf16, flex) vs float32 gather reference, check image: relative L2 {rel_l2:.3g}, "
              f"max abs err / max abs {max_rel:.3g}, arg-max label agreement {100 * agree:.4f}%")

    if done:
        from torch.profiler import ProfilerActivity, profile
        batch = done[-1]
        pv = torch.randn(batch, 3, size, size, device=dev, dtype=torch.bfloat16)
        with torch.inference_mode(), profile(activities=[ProfilerActivity.CUDA]) as prof:
            model(pixel_values=pv)
            torch.cuda.synchronize()
        events = prof.key_averages()
        total = sum(e.self_device_time_total for e in events) / 1e3
        print(f"{P} profiled forward, batch {batch}: {total:.2f} ms device time; top kernels:")
        for e in sorted(events, key=lambda e: -e.self_device_time_total)[:12]:
            print(f"{P}   {e.self_device_time_total / 1e3:8.2f} ms x{e.count:<4d} {e.key[:110]}")


def main():
    cmd, model_dir = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    if cmd == "write":
        write(model_dir, int(sys.argv[3]) if len(sys.argv) > 3 else 512)
    elif cmd == "time":
        batches = [int(b) for b in (sys.argv[3] if len(sys.argv) > 3 else "8,16").split(",")]
        iters = int(sys.argv[4]) if len(sys.argv) > 4 else 10
        size = int(sys.argv[5]) if len(sys.argv) > 5 else 512
        time_main(model_dir, batches, iters, size)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
