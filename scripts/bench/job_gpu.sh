#!/usr/bin/env bash
# Runs on the GPU machine from the repository root: the Spark job against the bare engine
# (JobOverheadBenchmark, docs/BENCHMARKS.md) with the runtime that scripts/bench/stage-job-gpu.sh packed into
# .jobgpu1, .jobgpu2, ... on the build machine. One chunk fits in one call, so:
#   bash scripts/bench/job_gpu.sh unpack          in each call, with that call's chunk copied with the tree:
#                                                 unpacks it into /tmp/vicinity-jobgpu (kept between calls)
#   bash scripts/bench/job_gpu.sh run MODEL IMAGES SIZE BACKEND BATCH MASTER [JOB_IMAGES]
#                                                 once every chunk is unpacked, e.g. in the last call
#   bash scripts/bench/job_gpu.sh main CLASS ARGS...
#                                                 another main class on the same runtime (e.g. the benchmark
#                                                 package's NvdecProbe)
# e.g. run random:64:3,4,6,5:2,4,8,16:224 4096 224 cuda 64 'local[16]' 16384   (DiNAT-mini's shape, random weights)
# Environment: JOB_GPU_HEAP (default 48g), JOB_ARGS (extra job options, e.g. "--partitions 16"),
# JOB_GPU_JAVA_OPTS (extra JVM options), OUT (log folder, default out).
set -euo pipefail
D=/tmp/vicinity-jobgpu
cmd=${1:-}
shift || true

unxz_cat() {  # FILE: decompressed to stdout; python3's lzma where the xz tool is missing
  if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c 'import lzma, shutil, sys
shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}

# Every jar of the manifest unpacked and intact; otherwise the chunks still to send, and exit 3.
check() {
  local missing
  [[ -f $D/manifest.txt ]] || { echo "job_gpu: nothing unpacked yet" >&2; return 3; }
  missing=$(cd "$D/lib" && while read -r chunk name md5; do
    [[ -f $name.ok && $(cat "$name.ok") == "$md5" ]] || echo "$chunk"
  done <"$D/manifest.txt" | sort -un | sed 's/^/.jobgpu/' | paste -sd' ')
  [[ -x $D/jre/jre17/bin/java ]] || missing="$missing .jobgpu1(JRE)"
  if [[ -n "${missing// }" ]]; then echo "job_gpu: still to unpack: $missing" >&2; return 3; fi
}

# The unpacked runtime: $java, its class path $cp (manifest order), and its libraries on LD_LIBRARY_PATH.
runtime() {
  check
  java=$D/jre/jre17/bin/java
  export LD_LIBRARY_PATH=$D/jre/jre17/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}  # libjpeg, lcms2 (see staging)
  cp=$(while read -r _ name _; do printf '%s:' "$D/lib/$name"; done <"$D/manifest.txt")
  cp=${cp%:}
}

case $cmd in
  unpack)
    mkdir -p "$D/lib"
    for c in .jobgpu[0-9]*/; do
      [[ -d $c ]] || continue
      cp "$c/manifest.txt" "$D/manifest.txt"
      if [[ -f $c/jre.txz ]]; then
        rm -rf "$D/jre" && mkdir -p "$D/jre" && unxz_cat "$c/jre.txz" | tar xf - -C "$D/jre"
      fi
      for f in "$c"/*.jar.xz; do
        [[ -f $f ]] || continue
        n=$(basename "$f" .xz)
        unxz_cat "$f" >"$D/lib/$n"
        md5sum <"$D/lib/$n" | cut -d' ' -f1 >"$D/lib/$n.ok"  # checked against the manifest by 'run'
      done
      echo "job_gpu: unpacked ${c%/}"
    done
    check && echo "job_gpu: all chunks unpacked" || true
    ;;
  main)
    runtime
    "$java" -Xmx"${JOB_GPU_HEAP:-48g}" -cp "$cp" "$@"
    ;;
  run)
    runtime
    # The --add-opens list Spark 4 needs on Java 17, read from the parent pom as run-local.sh does.
    opens=$(sed -n 's:.*<spark.test.jvm.args>\(.*\)</spark.test.jvm.args>.*:\1:p' pom.xml)
    log=${OUT:-out}/job-gpu.log
    mkdir -p "$(dirname "$log")"
    { command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
      echo "cpus: $(nproc)"; } | tee "$log"
    # Loopback driver address: the GPU machine has no network, and its hostname need not resolve.
    # shellcheck disable=SC2086  # the opens list and extra options split on spaces
    "$java" -Xmx"${JOB_GPU_HEAP:-48g}" $opens -Djava.awt.headless=true \
      -Dlog4j2.configurationFile=conf/log4j2.properties \
      -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 \
      -Dbench.jobArgs="${JOB_ARGS:-}" ${JOB_GPU_JAVA_OPTS:-} \
      -cp "$cp" io.vicinity.job.bench.JobOverheadBenchmark "$@" 2>&1 | tee -a "$log"
    # The measurements again, together at the end (the job's own logging comes between them).
    echo "---- summary ($log)"
    grep -E 'images/s|^(backend|random-weight|job output|job summary|WARNING|RESULT)' "$log" | grep -v -E '^ +throughput'
    ;;
  *)
    echo "usage: $0 unpack | run MODEL IMAGES SIZE BACKEND BATCH MASTER [JOB_IMAGES] | main CLASS ARGS..." >&2
    exit 2
    ;;
esac
