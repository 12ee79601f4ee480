#!/usr/bin/env python3
"""Where a Java Flight Recording's threads waited instead of running: per group of threads (as jfr_top.py groups
them), the seconds parked, blocked on monitors and waiting, by the first frame of our code or of the library
that waited; then the run's garbage-collection pauses and mean CPU load. Reads the JSON of
`jfr print --json --events jdk.ThreadPark,jdk.JavaMonitorEnter,jdk.JavaMonitorWait,jdk.GCPhasePause,jdk.CPULoad
FILE` on stdin (the profile settings record waits of 10 ms and more).

  jfr print --json --events jdk.ThreadPark,jdk.JavaMonitorEnter,jdk.JavaMonitorWait,jdk.GCPhasePause,jdk.CPULoad \
    job.jfr | python3 scripts/bench/jfr_waits.py --top 12
"""
import argparse
import collections
import json
import re
import sys

from jfr_top import group

# Frames that only say "waiting": the first frame past them names who waited.
PLUMBING = re.compile(r"^(jdk\.internal\.misc\.Unsafe|java\.util\.concurrent\.locks\.|java\.lang\.Object\.wait"
                      r"|java\.util\.concurrent\.(LinkedBlockingQueue|ArrayBlockingQueue|SynchronousQueue|"
                      r"CompletableFuture|ForkJoinPool|FutureTask|ThreadPoolExecutor|Semaphore|CountDownLatch)"
                      r"|java\.lang\.Thread\.sleep)")


def seconds(duration):
    """JFR's JSON durations: ISO-8601 such as "PT0.0123S" or "PT1M2.5S"."""
    m = re.match(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$", duration or "")
    if not m:
        return 0.0
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def waiter(frames):
    names = [f"{f['method']['type']['name'].replace('/', '.')}.{f['method']['name']}" for f in frames or []]
    for name in names:
        if not PLUMBING.match(name):
            return name
    return names[0] if names else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args()
    events = json.load(sys.stdin)["recording"]["events"]
    waits = collections.defaultdict(collections.Counter)
    totals = collections.Counter()
    gc_pause = 0.0
    loads = []
    for e in events:
        kind, v = e["type"], e["values"]
        if kind == "jdk.GCPhasePause":
            gc_pause += seconds(v.get("duration"))
            continue
        if kind == "jdk.CPULoad":
            loads.append((v.get("jvmUser", 0) + v.get("jvmSystem", 0), v.get("machineTotal", 0)))
            continue
        thread = (v.get("eventThread") or {}).get("javaName") or "?"
        g = group(thread)
        d = seconds(v.get("duration"))
        key = f"{kind.split('.')[-1]}: {waiter((v.get('stackTrace') or {}).get('frames'))}"
        waits[g][key] += d
        totals[g] += d
    for g in sorted(waits, key=lambda k: -totals[k]):
        print(f"== {g}: {totals[g]:.1f} s waiting (summed over threads)")
        for key, d in waits[g].most_common(args.top):
            print(f"  {d:8.1f} s  {key}")
    print(f"GC pauses: {gc_pause:.2f} s")
    if loads:
        jvm = sum(a for a, _ in loads) / len(loads)
        machine = sum(b for _, b in loads) / len(loads)
        print(f"CPU load, mean of {len(loads)} samples: JVM {jvm:.0%}, machine {machine:.0%}")


if __name__ == "__main__":
    main()
