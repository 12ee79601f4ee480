"""PyTorch anchors for the NA kernel benchmark (run on the GPU machine, same shapes as NaBenchmark.java).

For each DiNAT-mini shape (bf16, batch 64, head_dim 32, kernel 7): torch.compile'd flex_attention with the
neighborhood block mask and the relative-position bias as score_mod, dense SDPA over the same tokens, and an
unfused gather implementation. CUDA events, warm-up, median of many, 3 rotating input sets. Also measures
device-to-device copy bandwidth (the memory-floor denominator) and checks flex vs gather agree.
"""
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

from cuda_timing import time_ms  # scripts/bench, on sys.path as the script's own directory

SHAPES = [(56, 56, 2, 1), (56, 56, 2, 8), (28, 28, 4, 4), (14, 14, 8, 2)]
B, D, K = 64, 32, 7
ITERS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
dev = "cuda"


def window(L, d):
    """Per axis: start index and bias start of each query, exactly the spec."""
    i = torch.arange(L)
    g, ip = i % d, i // d
    lg = L // d + (g < L % d).long()
    sp = torch.clamp(ip - K // 2, min=0)
    sp = torch.minimum(sp, lg - K)
    return sp * d + g, (K - 1) - (ip - sp)


def copy_bandwidth():
    x = torch.empty(1 << 30, dtype=torch.uint8, device=dev)
    y = torch.empty_like(x)
    ms = time_ms(lambda a, b: b.copy_(a), [(x, y)], iters=20)
    return 2 * x.numel() / (ms * 1e-3)


def main():
    torch.manual_seed(0)
    bw = copy_bandwidth()
    print(f"[anchors] {torch.cuda.get_device_name()} torch {torch.__version__}; D2D copy {bw / 1e12:.2f} TB/s (read+write)")
    rows = []
    for (H, W, heads, dil) in SHAPES:
        N = H * W
        sy, py = window(H, dil)
        sx, px = window(W, dil)
        sy, py, sx, px = (t.to(dev) for t in (sy, py, sx, px))
        rpb = torch.randn(heads, 2 * K - 1, 2 * K - 1, device=dev, dtype=torch.bfloat16)

        # flex evaluates the mods on padded blocks and before masking: clamp every index it may use
        def mask_mod(b, h, q, kv):
            q, kv = q.clamp(max=N - 1), kv.clamp(max=N - 1)
            qy, qx, ky, kx = q // W, q % W, kv // W, kv % W
            oy, ox = ky - sy[qy], kx - sx[qx]
            return (oy >= 0) & (oy < K * dil) & (oy % dil == 0) & (ox >= 0) & (ox < K * dil) & (ox % dil == 0)

        def score_mod(score, b, h, q, kv):
            q, kv = q.clamp(max=N - 1), kv.clamp(max=N - 1)
            qy, qx, ky, kx = q // W, q % W, kv // W, kv % W
            by = (K - 1 + (ky - qy) // dil).clamp(0, 2 * K - 2)
            bx = (K - 1 + (kx - qx) // dil).clamp(0, 2 * K - 2)
            return score + rpb[h, by, bx].float()

        bm = create_block_mask(mask_mod, None, None, N, N, device=dev)
        flex = torch.compile(lambda q, k, v: flex_attention(q, k, v, score_mod=score_mod, block_mask=bm))
        sets = [tuple(torch.randn(B, heads, N, D, device=dev, dtype=torch.bfloat16) for _ in range(3)) for _ in range(3)]
        # gather indices: [N, K*K] neighbour token ids and bias ids
        ty = torch.arange(K, device=dev)
        ny = (sy[:, None] + ty[None] * dil)  # [H, K]
        nx = (sx[:, None] + ty[None] * dil)  # [W, K]
        idx = (ny[:, None, :, None] * W + nx[None, :, None, :]).reshape(N, K * K)
        bidx = ((py[:, None, None, None] + ty[None, None, :, None]) * (2 * K - 1)
                + (px[None, :, None, None] + ty[None, None, None, :])).reshape(N, K * K)

        def gather(q, k, v):
            kg = k[:, :, idx]  # [B, h, N, kk, D]
            vg = v[:, :, idx]
            s = torch.einsum("bhnd,bhnkd->bhnk", q.float() * D ** -0.5, kg.float())
            s = s + rpb.reshape(heads, -1)[:, bidx].float()[None]
            return torch.einsum("bhnk,bhnkd->bhnd", s.softmax(-1), vg.float()).to(q.dtype)

        def sdpa(q, k, v):
            return F.scaled_dot_product_attention(q, k, v)

        err = (flex(*sets[0]).float() - gather(*sets[0]).float()).abs().max().item()
        t_flex = time_ms(flex, sets, ITERS)
        t_sdpa = time_ms(sdpa, sets, ITERS)
        t_gather = time_ms(gather, sets, iters=max(10, ITERS // 5))
        flops = 4 * B * heads * N * K * K * D
        floor_ms = B * N * heads * D * 4 * 2 / 3.0e12 * 1e3
        rows.append((f"{H}x{W} heads={heads} dil={dil}", t_flex, t_sdpa, t_gather, flops, floor_ms, err))
    print("[anchors] shape | flex ms | sdpa(dense) ms | gather ms | flex TFLOP/s(NA flops) | floor ms | flex-vs-gather max err")
    for r in rows:
        print(f"[anchors] {r[0]} | {r[1]:.3f} | {r[2]:.3f} | {r[3]:.3f} | {r[4] / r[1] / 1e9:.1f} | {r[5]:.4f} | {r[6]:.3g}")


if __name__ == "__main__":
    main()
