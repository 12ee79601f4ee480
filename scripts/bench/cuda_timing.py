"""CUDA-event timing shared by the PyTorch anchor scripts, so their numbers are taken the same way."""
import statistics

import torch


def time_ms(fn, sets, iters, warmup=10):
    """Median ms of fn over iters runs after warmup ones, rotating over the argument tuples in sets.

    All runs are queued before one synchronize, like the Java benchmarks' event loop.
    """
    for i in range(warmup):
        fn(*sets[i % len(sets)])
    torch.cuda.synchronize()
    ts = []
    for i in range(iters):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn(*sets[i % len(sets)])
        e.record()
        ts.append((s, e))
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) for s, e in ts)


def time_each_ms(fn, iters, warmup=3):
    """Median ms of fn() over iters runs after warmup ones, each run waited for before the next is queued."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(iters):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e))
    return statistics.median(ts)
