"""DiNAT-mini whole-model anchor (run on the GPU machine): Hugging Face's DiNAT modules in bf16 with
neighborhood attention through torch.compile'd flex_attention (neighborhood block mask + rpb score_mod),
the rest eager. Also writes the same random-weight model as a Hugging Face directory for the Java benchmark.

Usage: python3 dinat_anchor.py OUT_MODEL_DIR [batch] [iters]
"""
import json
import math
import os
import sys
import time

import torch
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import na_reference  # noqa: E402
from cuda_timing import time_each_ms as time_ms  # noqa: E402  (upernet_anchor.py uses it too)
from transformers import DinatConfig, DinatForImageClassification  # noqa: E402
from transformers.models.dinat import modeling_dinat  # noqa: E402

# One compiled NA per map shape shares one code object, and dynamo's recompile limit (8) counts them all
# together: past it, calls fall back to eager flex_attention and the anchor would be unfairly slow.
torch._dynamo.config.recompile_limit = 64
torch._dynamo.config.cache_size_limit = 64
# HF refuses to build DiNAT without the natten package; attention is replaced below.
modeling_dinat.requires_backends = lambda *args, **kwargs: None
dev = "cuda"
MINI = dict(embed_dim=64, depths=[3, 4, 6, 5], num_heads=[2, 4, 8, 16], kernel_size=7, mlp_ratio=3.0,
            dilations=[[1, 8, 1], [1, 4, 1, 4], [1, 2, 1, 2, 1, 2], [1, 1, 1, 1, 1]])


def window(length, k, d):
    i = torch.arange(length)
    g, ip = i % d, i // d
    lg = length // d + (g < length % d).long()
    sp = torch.minimum(torch.clamp(ip - k // 2, min=0), lg - k)
    return sp * d + g


_flex = {}


def flex_for(height, width, k, d):
    """One compiled NA per map shape and dilation; rpb is an argument, so layers of one shape share it."""
    key = (height, width, k, d)
    if key not in _flex:
        n = height * width
        sy, sx = window(height, k, d).to(dev), window(width, k, d).to(dev)

        def mask_mod(b, h, q, kv):
            q, kv = q.clamp(max=n - 1), kv.clamp(max=n - 1)  # flex evaluates padded blocks too
            oy, ox = kv // width - sy[q // width], kv % width - sx[q % width]
            return (oy >= 0) & (oy < k * d) & (oy % d == 0) & (ox >= 0) & (ox < k * d) & (ox % d == 0)

        bm = create_block_mask(mask_mod, None, None, n, n, device=dev)

        def na(q, key_, v, rpb):
            def score_mod(score, b, h, qi, kv):
                qi, kv = qi.clamp(max=n - 1), kv.clamp(max=n - 1)
                by = (k - 1 + (kv // width - qi // width) // d).clamp(0, 2 * k - 2)
                bx = (k - 1 + (kv % width - qi % width) // d).clamp(0, 2 * k - 2)
                return score + rpb[h, by, bx].float()
            return flex_attention(q, key_, v, score_mod=score_mod, block_mask=bm)

        _flex[key] = torch.compile(na)
    return _flex[key]


def flex_forward(self, hidden_states, output_attentions=False, *args, **kwargs):
    b, height, width, _ = hidden_states.shape
    heads, hd = self.num_attention_heads, self.attention_head_size

    def split(x):
        return x.view(b, height * width, heads, hd).transpose(1, 2)

    q, k, v = split(self.query(hidden_states)), split(self.key(hidden_states)), split(self.value(hidden_states))
    ctx = flex_for(height, width, self.kernel_size, self.dilation)(q, k, v, self.rpb)  # scales q by hd^-0.5
    return (ctx.transpose(1, 2).reshape(b, height, width, heads * hd), None)




def main():
    out_dir = sys.argv[1]
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    torch.manual_seed(0)
    labels = {i: f"class_{i}" for i in range(1000)}
    cfg = DinatConfig(patch_size=4, num_channels=3, num_labels=1000, id2label=labels,
                      label2id={v: k for k, v in labels.items()}, **MINI)
    model = DinatForImageClassification(cfg).eval()
    with torch.no_grad():  # HF initialises rpb to zeros; random bias makes the score_mod matter
        for m in model.modules():
            if isinstance(m, modeling_dinat.NeighborhoodAttention):
                m.rpb.normal_(0, 0.5)
    model.save_pretrained(out_dir)
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump({"image_processor_type": "ViTImageProcessor", "do_resize": True, "size": {"height": 224, "width": 224},
                   "resample": 2, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
                   "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}, f)
    model = model.to(dev)

    # The anchor computes the same function: flex (fp32) against the spec's gather implementation (fp32).
    x = torch.randn(2, 3, 224, 224, device=dev)
    with torch.no_grad():
        modeling_dinat.NeighborhoodAttention.forward = na_reference.patched_forward
        ref = model(pixel_values=x).logits
        modeling_dinat.NeighborhoodAttention.forward = flex_forward
        got = model(pixel_values=x).logits
    print(f"[model-anchor] flex vs gather NA, fp32 logits: max abs err / max abs = "
          f"{((got - ref).abs().max() / ref.abs().max()).item():.3g}")

    model = model.to(torch.bfloat16)
    pv = torch.randn(batch, 3, 224, 224, device=dev, dtype=torch.bfloat16)
    t0 = time.time()
    with torch.inference_mode():
        model(pixel_values=pv)
        torch.cuda.synchronize()
        print(f"[model-anchor] first call (compiles) {time.time() - t0:.1f} s; {len(_flex)} compiled NA shapes")
        ms = time_ms(lambda: model(pixel_values=pv), iters)
    print(f"[model-anchor] HF DiNAT-mini bf16 + compiled flex_attention, batch {batch}: {ms:.2f} ms/batch, "
          f"{batch / ms * 1e3:.0f} images/s ({torch.cuda.get_device_name()}, torch {torch.__version__})")

    # Device time by kernel for one forward (torch profiler), top entries.
    from torch.profiler import ProfilerActivity, profile
    with torch.inference_mode(), profile(activities=[ProfilerActivity.CUDA]) as prof:
        model(pixel_values=pv)
        torch.cuda.synchronize()
    total = sum(e.self_device_time_total for e in prof.key_averages()) / 1e3
    print(f"[model-anchor] profiled forward: {total:.2f} ms device time; top kernels:")
    for e in sorted(prof.key_averages(), key=lambda e: -e.self_device_time_total)[:12]:
        print(f"[model-anchor]   {e.self_device_time_total / 1e3:8.2f} ms x{e.count:<4d} {e.key[:110]}")


if __name__ == "__main__":
    main()
