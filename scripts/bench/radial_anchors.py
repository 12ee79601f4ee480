"""PyTorch anchors for the radial-attention benchmark (same shapes as RadialBenchmark.java; run on the GPU machine).

One ViT-Base attention layer, bf16, 12 heads x 64, latent frames of 14x14 = 196 tokens: dense
scaled_dot_product_attention, and torch.compile'd flex_attention with the radial mask (delta 1, no sink) as a
block mask + mask_mod. CUDA events, warm-up, median of many, 3 rotating input sets. Also checks flex against
SDPA with the same boolean mask (16 frames) and prints flex's block density (128 x 128 blocks it visits).
Usage: radial_anchors.py [iters] [batch] [frames...]
"""
import math
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

from cuda_timing import time_ms  # scripts/bench, on sys.path as the script's own directory

HEADS, D, S = 12, 64, 196
dev = "cuda"


def w_table(frames, delta=1.0):
    """AttentionMask.Radial per frame distance: |k - l| <= w allowed (w = -1: none); same double arithmetic."""
    w = []
    for d in range(frames):
        if d <= 1:
            w.append(S)
            continue
        r = int(math.floor(math.log2(d)))
        if (1 << r) <= S:
            w.append(min(S, math.floor(delta * S / (1 << r)) - 1))
        else:
            step = -(-(1 << r) // S)
            w.append(0 if d % step == 0 else -1)
    return torch.tensor(w, device=dev, dtype=torch.int64)


def density(frames, w):
    wl = w.tolist()
    allowed = 0
    for i in range(frames):
        for j in range(frames):
            x = wl[abs(i - j)]
            x = min(x, S - 1)
            allowed += 0 if x < 0 else S + x * (2 * S - x - 1)
    return allowed / (frames * S) ** 2


def radial_flex(frames, example, tag):
    """Compiled flex_attention with the radial mask for frames x S tokens: (flex(q, k, v), block mask, mask_mod).

    Compiled on the example (q, k, v); falls back to smaller blocks where inductor's default config fails.
    """
    n = frames * S
    w = w_table(frames)

    def mask_mod(b, h, q, kv):
        # flex evaluates the mod on padded blocks: clamp every index it may use
        q, kv = q.clamp(max=n - 1), kv.clamp(max=n - 1)
        i, k, j, l = q // S, q % S, kv // S, kv % S
        return (k - l).abs() <= w[(i - j).abs()]

    bm = create_block_mask(mask_mod, None, None, n, n, device=dev)
    flex = torch.compile(lambda q, k, v: flex_attention(q, k, v, block_mask=bm))
    try:
        flex(*example)
    except Exception as e:  # seen on the H100: inductor's default config asked for 368 KiB of shared memory
        print(f"{tag} default flex config failed ({type(e).__name__}); using num_stages=2, 64 x 64 blocks")
        opts = {"num_stages": 2, "BLOCK_M": 64, "BLOCK_N": 64}
        flex = torch.compile(lambda q, k, v: flex_attention(q, k, v, block_mask=bm, kernel_options=opts))
    return flex, bm, mask_mod


def main(iters, batch, frame_counts):
    torch.manual_seed(0)
    print(f"[radial-anchors] {torch.cuda.get_device_name()} torch {torch.__version__}, batch {batch}, {HEADS} x {D} bf16")
    rows = []
    for frames in frame_counts:
        n = frames * S
        w = w_table(frames)
        sets = [tuple(torch.randn(batch, HEADS, n, D, device=dev, dtype=torch.bfloat16) for _ in range(3)) for _ in range(3)]
        flex, bm, mask_mod = radial_flex(frames, sets[0], "[radial-anchors]")
        err = float("nan")
        if frames <= 16:
            qi = torch.arange(n, device=dev)
            allowed = mask_mod(None, None, qi[:, None], qi[None, :])
            ref = F.scaled_dot_product_attention(*(t.float() for t in sets[0]), attn_mask=allowed)
            err = ((flex(*sets[0]).float() - ref).norm() / ref.norm()).item()
        t_sdpa = time_ms(F.scaled_dot_product_attention, sets, iters)
        t_flex = time_ms(flex, sets, iters)
        dens = density(frames, w)
        rows.append((frames, n, dens, 1.0 - bm.sparsity() / 100.0, t_sdpa, t_flex, err))
    print("[radial-anchors] frames | tokens | density | flex block density | sdpa dense ms | flex radial ms | flex speedup"
          " | sdpa TFLOP/s | flex-vs-masked-sdpa rel err")
    for f, n, dens, bd, ts, tf, err in rows:
        flops = 4.0 * batch * HEADS * n * n * D
        print(f"[radial-anchors] {f} | {n} | {dens:.4f} | {bd:.4f} | {ts:.3f} | {tf:.3f} | {ts / tf:.2f} | "
              f"{flops / ts / 1e9:.0f} | {err:.3g}")


if __name__ == "__main__":  # (imported by videomae_anchor.py for the mask)
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50, int(sys.argv[2]) if len(sys.argv) > 2 else 1,
         [int(x) for x in sys.argv[3:]] or [16, 32, 64])
