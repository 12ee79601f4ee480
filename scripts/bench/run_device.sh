#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, with .device (the JRE) and .devjars (staged by
# stage-device.sh) copied along with the tree. Steps: tests (kernels GPU-vs-CPU), udfs-tests (whole DiNAT model and
# ImageInference on CUDA vs Hugging Face fixtures), bench (NA kernel), gemm (GEMM shapes, then their PyTorch
# anchors), anchors (NA PyTorch anchors), bf16-ref (HF's own bf16 error on the fixtures), model (DiNAT-mini anchor in PyTorch + our whole-model benchmark, same run),
# segment (UperNet + DiNAT-mini at 512x512: the anchor writes the checkpoint, ours then the anchor time it),
# graphs (CUDA graph replay vs eager: DinatCudaGraphTest, then DinatBenchmark ... graphs at batch 256 and 8),
# upload (the job's input path, direct host buffers -> forward, against the forward from a GPU tensor),
# videomae (the whole ViT-Base video encoder, dense and radial, ours then Hugging Face's on the same weights).
# Logs go to $OUT (or ./out). Usage: bash scripts/bench/run_device.sh [step]...
set -uo pipefail
OUT=${OUT:-out}
mkdir -p "$OUT" /tmp/jre
[[ -x /tmp/jre/bin/java ]] || ls -d /tmp/jre/*/bin/java >/dev/null 2>&1 || tar xzf .device/jre17.tgz -C /tmp/jre
JAVA=$(ls -d /tmp/jre/*/bin/java | head -1)
D=.devjars
BASE="$D/vicinity-kernels.jar:$D/jcuda-12.6.0.jar:$D/jcuda-natives-12.6.0-linux-x86_64.jar:$D/slf4j-api-2.0.17.jar:$D/slf4j-simple-2.0.17.jar"
CP="$D/test-classes:$BASE"
# Explicit jar list: the JUnit console's --class-path does not expand "dir/*".
UCP="$D/udfs-test-classes:udfs/src/test/resources:$D/vicinity-udfs.jar:$BASE:$(ls "$D"/lib/*.jar | paste -sd:)"
JUNIT="$D/junit-platform-console-standalone-1.13.4.jar"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/gpu.txt"
# The random-weight DiNAT-mini of dinat_anchor.py, written once per machine (no compile, no timing).
MINI=/tmp/dinat-mini
mini_model() {
  [[ -f "$MINI/config.json" ]] || PYTHONUNBUFFERED=1 python3 scripts/bench/dinat_mini_write.py "$MINI" 2>&1 \
    | tee "$OUT/$1-write.log" | grep -v -i warn
}
steps=${*:-tests bench anchors}
for step in $steps; do
  case $step in
    tests)
      "$JAVA" -Xmx16g -jar "$JUNIT" execute --class-path "$CP" \
        --select-package io.vicinity.kernels.cuda --details=tree --disable-banner 2>&1 | tee "$OUT/tests.log" \
        | grep -E "\[cuda-test\]|✘|Exception|tests (successful|failed|skipped)|containers failed" | tail -150
      ;;
    udfs-tests)
      "$JAVA" -Xmx16g -jar "$JUNIT" execute --class-path "$UCP" \
        --select-package io.vicinity.udfs.gpu --details=tree --disable-banner 2>&1 | tee "$OUT/udfs-tests.log" \
        | grep -E "\[gpu-parity\]|✘|Error|Exception|tests (successful|failed|skipped)|containers failed" | head -60
      ;;
    bench)
      "$JAVA" -Xmx8g -cp "$CP" io.vicinity.kernels.cuda.NaBenchmark 200 2>&1 | tee "$OUT/na-bench.log"
      ;;
    gemm)
      "$JAVA" -Xmx8g -cp "$CP" io.vicinity.kernels.cuda.GemmBenchmark 30 2>&1 | tee "$OUT/gemm-bench.log"
      PYTHONUNBUFFERED=1 python3 scripts/bench/gemm_anchors.py 30 2>&1 | tee "$OUT/gemm-anchors.log" | grep -v Warning
      ;;
    anchors)
      PYTHONUNBUFFERED=1 python3 scripts/bench/na_anchors.py 50 2>&1 | tee "$OUT/anchors.log" | grep -v Warning
      ;;
    bf16-ref)
      PYTHONUNBUFFERED=1 python3 scripts/bench/bf16_reference_error.py udfs/src/test/resources/fixtures/dinat 2>&1 \
        | tee "$OUT/bf16-ref.log" | grep "\[bf16-ref\]"
      ;;
    model)
      PYTHONUNBUFFERED=1 python3 scripts/bench/dinat_anchor.py "$MINI" 256 20 2>&1 | tee "$OUT/model-anchor.log" \
        | grep -v -i warn
      "$JAVA" -Xmx24g -cp "$UCP" io.vicinity.udfs.gpu.DinatBenchmark "$MINI" 256 20 2>&1 | tee "$OUT/model-bench.log"
      ;;
    upload)
      # The Spark job's input path (float32 images in direct host buffers -> forward) against the forward from a
      # tensor already on the GPU, and the upload alone, at the batches in UPLOAD_BATCHES (DinatBenchmark).
      mini_model upload
      for b in ${UPLOAD_BATCHES:-64 256}; do
        "$JAVA" -Xmx24g -cp "$UCP" io.vicinity.udfs.gpu.DinatBenchmark "$MINI" "$b" 20 2>&1 | tee "$OUT/upload-$b.log" \
          | grep -E "^\[model-bench\] [a-zA-Z]"
      done
      ;;
    graphs)
      # CUDA graph replay vs eager (DinatModel.forwardGraphed): the graph GPU test, then both timed at batch 256 and 8
      # on the anchor's DiNAT-mini, written without the anchor's compile and timing.
      mini_model graphs
      "$JAVA" -Xmx16g -jar "$JUNIT" execute --class-path "$UCP" \
        --select-class io.vicinity.udfs.gpu.DinatCudaGraphTest --details=tree --disable-banner 2>&1 \
        | tee "$OUT/graphs-tests.log" | grep -E "\[gpu-parity\]|✘|Error|Exception|tests (successful|failed|skipped)" | head -40
      "$JAVA" -Xmx24g -cp "$UCP" io.vicinity.udfs.gpu.DinatBenchmark "$MINI" "${GRAPH_BATCHES:-256,8}" 20 graphs 2>&1 \
        | tee "$OUT/graphs-bench.log"
      ;;
    segment)
      # One checkpoint for both: upernet_anchor.py writes it (save_pretrained) with a float32 reference for one
      # check image, UperNetBenchmark loads and times it, then the anchor loads (from_pretrained) and times it.
      # The anchor's timing (flex compilation) runs last so that a time limit cannot cost our numbers.
      M=/tmp/upernet-dinat-mini
      SEG_BATCHES=${SEG_BATCHES:-8,16}
      PYTHONUNBUFFERED=1 python3 scripts/bench/upernet_anchor.py write "$M" 512 2>&1 | tee "$OUT/segment-write.log" \
        | grep -v -i warn
      "$JAVA" -Xmx24g -cp "$UCP" io.vicinity.udfs.gpu.UperNetBenchmark "$M" "$SEG_BATCHES" "${SEG_ITERS:-20}" 512 2>&1 \
        | tee "$OUT/segment-bench.log"
      PYTHONUNBUFFERED=1 python3 scripts/bench/upernet_anchor.py time "$M" "$SEG_BATCHES" "${SEG_ANCHOR_ITERS:-10}" 512 2>&1 \
        | tee "$OUT/segment-anchor.log" | grep -v -i warn
      ;;
    videomae)
      # The whole ViT-Base VideoMAE encoder at 16/32/64 latent frames, dense and radial: videomae_anchor.py writes
      # the checkpoint, VideoMaeBenchmark times ours, then the anchor times Hugging Face's (SDPA, flex radial).
      M=/tmp/videomae-base
      VIDEO_FRAMES=${VIDEO_FRAMES:-16,32,64}
      PYTHONUNBUFFERED=1 python3 scripts/bench/videomae_anchor.py write "$M" 2>&1 | tee "$OUT/videomae-write.log" \
        | grep -v -i warn
      "$JAVA" -Xmx24g -cp "$UCP" io.vicinity.udfs.gpu.VideoMaeBenchmark "$M" "${VIDEO_ITERS:-10}" "$VIDEO_FRAMES" 2>&1 \
        | tee "$OUT/videomae-bench.log"
      PYTHONUNBUFFERED=1 python3 scripts/bench/videomae_anchor.py time "$M" "${VIDEO_ITERS:-10}" ${VIDEO_FRAMES//,/ } \
        2>&1 | tee "$OUT/videomae-anchor.log" | grep -v -i warn
      ;;
  esac
done
