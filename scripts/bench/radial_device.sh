#!/usr/bin/env bash
# Radial attention on the GPU machine in one run (repository root, with .device and .devjars copied there, staged
# by stage-device.sh): the selfAttention/conv3d GPU tests, the VideoMAE GPU parity test, the PyTorch anchors
# (radial_anchors.py) and our benchmark (RadialBenchmark, also with the mma.sync kernel where the wgmma one runs).
# Logs go to $OUT (or ./out).
# Usage: bash scripts/bench/radial_device.sh [iters] [batch]
# Env: DEVJARS=<dir> (staged jars, default .devjars); RADIAL_SKIP_UDFS=1 skips the VideoMAE parity test;
# BEFORE_JAR=<kernels jar> also times RadialBenchmark against that kernels jar (e.g. the previous kernel, staged
# next to the new one), printed as "[radial-bench before]", for before/after numbers from one call.
set -uo pipefail
OUT=${OUT:-out}
ITERS=${1:-50}
BATCH=${2:-1}
mkdir -p "$OUT" /tmp/jre
ls -d /tmp/jre/*/bin/java >/dev/null 2>&1 || tar xzf .device/jre17.tgz -C /tmp/jre
JAVA=$(ls -d /tmp/jre/*/bin/java | head -1)
D=${DEVJARS:-.devjars}
BASE="$D/vicinity-kernels.jar:$D/jcuda-12.6.0.jar:$D/jcuda-natives-12.6.0-linux-x86_64.jar:$D/slf4j-api-2.0.17.jar:$D/slf4j-simple-2.0.17.jar"
CP="$D/test-classes:$BASE"
UCP="$D/udfs-test-classes:udfs/src/test/resources:$D/vicinity-udfs.jar:$BASE:$(ls "$D"/lib/*.jar | paste -sd:)"
JUNIT="$D/junit-platform-console-standalone-1.13.4.jar"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/gpu.txt"
"$JAVA" -Xmx16g -jar "$JUNIT" execute --class-path "$CP" --select-class io.vicinity.kernels.cuda.CudaSelfAttentionTest \
  --details=tree --disable-banner > "$OUT/radial-tests.log" 2>&1
grep -E "✘|tests (successful|failed|skipped)" "$OUT/radial-tests.log" | head -40
grep -E "\[cuda-test\]" "$OUT/radial-tests.log" | grep -E "rel L2 error [0-9.e-]+" -o | sort -k4 -g | tail -1 \
  | sed 's/^/[radial] largest test error: /'
if [[ "${RADIAL_SKIP_UDFS:-0}" != 1 ]]; then
  "$JAVA" -Xmx16g -jar "$JUNIT" execute --class-path "$UCP" --select-class io.vicinity.udfs.gpu.VideoMaeCudaParityTest \
    --details=tree --disable-banner > "$OUT/videomae-gpu.log" 2>&1
  grep -E "\[gpu-parity\]|✘|tests (successful|failed|skipped)" "$OUT/videomae-gpu.log" | head -40
fi
"$JAVA" -Xmx8g -cp "$CP" io.vicinity.kernels.cuda.RadialBenchmark "$ITERS" "$BATCH" 2>&1 | tee "$OUT/radial-bench.log"
# Where the wgmma kernel runs (Hopper), the mma.sync kernel other GPUs run, in the same call
"$JAVA" -Xmx8g -Dvicinity.cuda.wgmma=false -cp "$CP" io.vicinity.kernels.cuda.RadialBenchmark "$ITERS" "$BATCH" 2>&1 \
  | grep -E "^\[radial-bench\] [0-9]" | sed 's/^\[radial-bench\]/[radial-bench mma.sync]/' | tee "$OUT/radial-bench-mma-sync.log"
if [[ -n "${BEFORE_JAR:-}" ]]; then
  "$JAVA" -Xmx8g -cp "${CP/$D\/vicinity-kernels.jar/$BEFORE_JAR}" io.vicinity.kernels.cuda.RadialBenchmark "$ITERS" "$BATCH" 2>&1 \
    | sed 's/^\[radial-bench\]/[radial-bench before]/' | tee "$OUT/radial-bench-before.log"
fi
PYTHONUNBUFFERED=1 python3 scripts/bench/radial_anchors.py "$ITERS" "$BATCH" 2>&1 | grep -v -i warn | tee "$OUT/radial-anchors.log"
