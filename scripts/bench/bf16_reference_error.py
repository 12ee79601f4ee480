"""What bf16 costs Hugging Face's own DiNAT on the parity fixtures (run on the GPU machine): the model cast
to bf16 (NA by na_reference's gather implementation, computed in bf16 like the rest) against the fixtures'
float64 outputs, by the parity rule of udfs' DinatParity (max abs error / max abs reference, per image and
for rows minus their mean over images). Puts our CUDA backend's bf16 errors next to what bf16 inference
itself gives. Usage: python3 bf16_reference_error.py FIXTURES_DIR
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import na_reference  # noqa: E402
from transformers import DinatForImageClassification, DinatModel  # noqa: E402
from transformers.models.dinat import modeling_dinat  # noqa: E402

modeling_dinat.requires_backends = lambda *args, **kwargs: None
modeling_dinat.NeighborhoodAttention.forward = na_reference.patched_forward


def rel(a, e):
    return np.abs(a - e).max() / np.abs(e).max()


def rule(a, e):
    worst = max(rel(a[i], e[i]) for i in range(len(e)))
    return worst, rel(a - a.mean(0), e - e.mean(0))


def main():
    root = sys.argv[1]
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        has_logits = os.path.exists(os.path.join(d, "logits.npy"))
        cls = DinatForImageClassification if has_logits else DinatModel
        model = cls.from_pretrained(os.path.join(d, "model")).eval().cuda()
        pv = torch.from_numpy(np.load(os.path.join(d, "pixel_values.npy"))).cuda()
        pooled_ref = np.load(os.path.join(d, "pooled.npy"))
        for dtype in (torch.float32, torch.bfloat16):
            m = model.to(dtype)
            with torch.no_grad():
                base = m.dinat if has_logits else m
                pooled = base(pixel_values=pv.to(dtype)).pooler_output.float().cpu().numpy()
                line = f"[bf16-ref] {name} HF {str(dtype)[6:]}: pooled worst row {rule(pooled, pooled_ref)[0]:.3g}, " \
                       f"image-dependent {rule(pooled, pooled_ref)[1]:.3g}"
                if has_logits:
                    logits = m(pixel_values=pv.to(dtype)).logits.float().cpu().numpy()
                    r = rule(logits, np.load(os.path.join(d, "logits.npy")))
                    line += f"; logits worst row {r[0]:.3g}, image-dependent {r[1]:.3g}"
            print(line)


if __name__ == "__main__":
    main()
