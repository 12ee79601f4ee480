#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, with .device (the JRE) and .devjars (staged by
# stage-device.sh) carried: GPU-vs-CPU tests, the Java NA benchmark, then the PyTorch anchors.
# Logs go to $OUT (or ./out). Usage: bash scripts/bench/run_device.sh [tests|bench|anchors]...
set -uo pipefail
OUT=${OUT:-out}
mkdir -p "$OUT" /tmp/jre
tar xzf .device/jre17.tgz -C /tmp/jre
JAVA=$(ls -d /tmp/jre/*/bin/java | head -1)
D=.devjars
CP="$D/test-classes:$D/vicinity-kernels.jar:$D/jcuda-12.6.0.jar:$D/jcuda-natives-12.6.0-linux-x86_64.jar:$D/slf4j-api-2.0.17.jar:$D/slf4j-simple-2.0.17.jar"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/gpu.txt"
steps=${*:-tests bench anchors}
for step in $steps; do
  case $step in
    tests)
      "$JAVA" -Xmx16g -jar "$D/junit-platform-console-standalone-1.13.4.jar" execute --class-path "$CP" \
        --select-package io.vicinity.kernels.cuda --details=tree --disable-banner 2>&1 | tee "$OUT/tests.log" \
        | grep -E "\[cuda-test\]|✘|Exception|tests (successful|failed|skipped)|containers failed" | tail -150
      ;;
    bench)
      "$JAVA" -Xmx8g -cp "$CP" io.vicinity.kernels.cuda.NaBenchmark 200 2>&1 | tee "$OUT/na-bench.log"
      ;;
    anchors)
      PYTHONUNBUFFERED=1 python3 scripts/bench/na_anchors.py 50 2>&1 | tee "$OUT/anchors.log" | grep -v Warning
      ;;
  esac
done
