#!/usr/bin/env python3
"""Where a Java Flight Recording's threads spent their samples: the hottest top frames (and, with --depth N,
the hottest N-frame stacks) per group of threads. Reads the text of `jfr print --events
jdk.ExecutionSample,jdk.NativeMethodSample --stack-depth N FILE` on stdin.

  jfr print --events jdk.ExecutionSample,jdk.NativeMethodSample --stack-depth 8 job.jfr \
    | python3 scripts/bench/jfr_top.py --depth 3

Thread groups: Spark's task threads ("Executor task launch worker ..."), the job's batch worker
("vicinity-batches-..."), the benchmark's main thread, everything else. Java samples are of running threads;
native samples of threads in native code (JPEG decoding, copies, CUDA calls) or blocked in it.
"""
import argparse
import collections
import re
import sys


def group(thread):
    if thread.startswith("Executor task launch worker"):
        return "spark task threads"
    if thread.startswith("vicinity-batches"):
        return "batch worker"
    if thread == "main":
        return "main"
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=1, help="frames per stack key (1: the top frame)")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()
    counts = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    kind = thread = None
    frames = []
    in_stack = False
    for line in sys.stdin:
        line = line.rstrip()
        m = re.match(r"^(jdk\.\w+) \{", line)
        if m:
            kind, thread, frames, in_stack = m.group(1), None, [], False
            continue
        m = re.match(r'^\s+sampledThread = "(.*)" \(', line)
        if m:
            thread = m.group(1)
            continue
        if re.match(r"^\s+stackTrace = \[", line):
            in_stack = True
            continue
        if in_stack and re.match(r"^\s+\]", line):
            in_stack = False
            continue
        if in_stack:
            frame = re.sub(r"\s+line: \d+.*$", "", line.strip())
            if frame and frame != "...":
                frames.append(frame)
            continue
        if line == "}" and kind and thread is not None:
            key = (group(thread), "native" if kind == "jdk.NativeMethodSample" else "java")
            totals[key] += 1
            counts[key][" <- ".join(frames[: args.depth]) or "(no frames)"] += 1
            kind = None
    for key in sorted(totals, key=lambda k: -totals[k]):
        print(f"== {key[0]}, {key[1]} samples: {totals[key]}")
        for stack, n in counts[key].most_common(args.top):
            print(f"  {100.0 * n / totals[key]:5.1f}%  {stack}")


if __name__ == "__main__":
    main()
