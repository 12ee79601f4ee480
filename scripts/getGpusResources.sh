#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript /
# spark.worker.resource.gpu.discoveryScript): prints the GPUs this host or container can use as
#   {"name": "gpu", "addresses": ["0", "1"]}
# Addresses are nvidia-smi indexes. When CUDA_VISIBLE_DEVICES restricts the process (YARN, Kubernetes
# device plugins), only the listed devices are reported; the job maps them to CUDA ordinals.
set -euo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "getGpusResources.sh: nvidia-smi not found; no GPUs to report" >&2
  echo '{"name": "gpu", "addresses": []}'
  exit 0
fi

indexes="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | grep -E '^[0-9]+$' || true)"
if [[ -n "${CUDA_VISIBLE_DEVICES:-}" && "${CUDA_VISIBLE_DEVICES}" != "NoDevFiles" ]]; then
  visible=",${CUDA_VISIBLE_DEVICES// /},"
  indexes="$(for i in $indexes; do [[ "$visible" == *",$i,"* ]] && echo "$i"; done || true)"
fi

addresses="$(for i in $indexes; do printf '"%s",' "$i"; done)"
echo "{\"name\": \"gpu\", \"addresses\": [${addresses%,}]}"
