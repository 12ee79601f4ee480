"""PyTorch (cuBLAS) anchors for GemmBenchmark: the same products with the same epilogues, bf16, CUDA events.

out = x @ w.T + bias, then GELU (erf) or + residual, as torch.nn.functional.linear and eager ops run them
(what a Hugging Face model does per layer). Usage: python3 gemm_anchors.py [iters]
Prints one line per shape: "[gemm-anchor] M x K x N | epilogue | median us | TFLOP/s".
"""
import sys

import torch
import torch.nn.functional as F

from cuda_timing import time_each_ms  # scripts/bench, on sys.path as the script's own directory

# {M, K, N, epilogue: 0 bias, 1 bias+GELU, 2 bias+residual}: GemmBenchmark.SHAPES
SHAPES = [
    (802816, 64, 192, 0), (802816, 64, 64, 2), (802816, 64, 192, 1), (802816, 192, 64, 2),
    (200704, 128, 384, 0), (200704, 128, 128, 2), (200704, 128, 384, 1), (200704, 384, 128, 2),
    (50176, 256, 768, 0), (50176, 256, 256, 2), (50176, 256, 768, 1), (50176, 768, 256, 2),
    (12544, 512, 1536, 0), (12544, 512, 512, 2), (12544, 512, 1536, 1), (12544, 1536, 512, 2),
    (12544, 768, 2304, 0), (12544, 768, 768, 2), (12544, 768, 3072, 1), (12544, 3072, 768, 2),
    (8192, 8192, 8192, 0),
]
NAMES = ["bias", "bias+GELU", "bias+residual"]


def main(iters):
    print(f"[gemm-anchor] torch {torch.__version__} {torch.cuda.get_device_name()}")
    g = torch.Generator(device="cuda").manual_seed(7)
    for m, k, n, kind in SHAPES:
        x = torch.randn(m, k, device="cuda", generator=g).bfloat16()
        w = (torch.randn(n, k, device="cuda", generator=g) / k ** 0.5).bfloat16()
        b = torch.randn(n, device="cuda", generator=g).bfloat16()
        r = torch.randn(m, n, device="cuda", generator=g).bfloat16() if kind == 2 else None
        with torch.inference_mode():
            if kind == 0:
                fn = lambda: F.linear(x, w, b)
            elif kind == 1:
                fn = lambda: F.gelu(F.linear(x, w, b))
            else:
                fn = lambda: r + F.linear(x, w, b)
            us = 1e3 * time_each_ms(fn, iters, warmup=5)
        print(f"[gemm-anchor] {m} x {k} x {n} | {NAMES[kind]} | {us:.1f} | {2.0 * m * k * n / us / 1e6:.1f}")
        del x, w, b, r


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
