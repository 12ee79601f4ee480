#!/usr/bin/env bash
# Compiles every kernel family in SRC_DIR (*.cu) into one fatbin, OUT_DIR/vicinity.fatbin, with SASS for
# sm_80, sm_86, sm_89, sm_90a (Hopper with its wgmma instructions, which the attention kernel uses there) and
# PTX (compute_90, without them) for newer GPUs. Called by Maven in generate-resources.
# Without nvcc the build still succeeds: the CUDA backend is simply not included (it says so at run time).
# Env: NVCC (compiler, default: nvcc on PATH or $CUDA_HOME/bin/nvcc), VICINITY_CUDA_ARCHS (override the
# -gencode list, e.g. "90a" for a quick local build; the PTX is for the last one without its "a").
set -euo pipefail
SRC_DIR=$(cd "${1:?usage: build-cuda.sh SRC_DIR OUT_DIR}" && pwd)
OUT_DIR=${2:?usage: build-cuda.sh SRC_DIR OUT_DIR}
NVCC=${NVCC:-$(command -v nvcc || true)}
if [[ -z "$NVCC" && -n "${CUDA_HOME:-}" && -x "$CUDA_HOME/bin/nvcc" ]]; then NVCC="$CUDA_HOME/bin/nvcc"; fi
if [[ -z "$NVCC" ]]; then
  echo "[vicinity] nvcc not found: the CUDA backend is not included (CPU backend only)."
  exit 0
fi
ARCHS=${VICINITY_CUDA_ARCHS:-"80 86 89 90a"}
GENCODE=()
for a in $ARCHS; do GENCODE+=("-gencode=arch=compute_${a},code=sm_${a}"); done
last=${ARCHS##* }
ptx=${last%a}  # arch-specific PTX (90a) would not run on later GPUs
GENCODE+=("-gencode=arch=compute_${ptx},code=compute_${ptx}")

mkdir -p "$OUT_DIR"
OUT="$OUT_DIR/vicinity.fatbin"
STAMP="$OUT_DIR/vicinity.fatbin.inputs"
# Rebuild only when a source, this script or the arch list changed.
sig=$( { cat "$SRC_DIR"/*.cu "$SRC_DIR"/*.cuh 2>/dev/null; cat "$0"; echo "$ARCHS"; "$NVCC" --version; } | sha256sum | cut -d' ' -f1)
if [[ -f "$OUT" && -f "$STAMP" && "$(cat "$STAMP")" == "$sig" ]]; then
  echo "[vicinity] CUDA fatbin up to date: $OUT"
  exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# One translation unit that includes every family, so a single cuModuleLoadData loads them all.
{
  for f in "$SRC_DIR"/*.cu; do echo "#include \"$f\""; done
} > "$TMP/vicinity_all.cu"
echo "[vicinity] nvcc ($("$NVCC" --version | tail -1)) -> $OUT for sm_${ARCHS// /, sm_} + PTX"
"$NVCC" -fatbin -std=c++17 -O3 -I"$SRC_DIR" "${GENCODE[@]}" \
  -Xptxas=-warn-spills --resource-usage ${VICINITY_NVCC_FLAGS:-} \
  -o "$TMP/vicinity.fatbin" "$TMP/vicinity_all.cu" 2> "$TMP/nvcc.log" || { cat "$TMP/nvcc.log"; exit 1; }
grep -E "spill|error" "$TMP/nvcc.log" | grep -v " 0 bytes spill" | head -20 || true
mv "$TMP/vicinity.fatbin" "$OUT"
echo "$sig" > "$STAMP"
echo "[vicinity] CUDA fatbin: $(stat -c %s "$OUT") bytes"
