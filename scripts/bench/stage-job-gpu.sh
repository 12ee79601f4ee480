#!/usr/bin/env bash
# Run here (the build machine) before measuring the Spark job on the GPU machine (JobOverheadBenchmark, see
# docs/BENCHMARKS.md). That machine has no Java, no Maven and no network, and takes at most 64 MiB per call,
# the tree included, while the job's runtime (a JRE, Spark, Hadoop, our jars) is several times that. So this
# script packs it into git-ignored folders .jobgpu1, .jobgpu2, ... of at most CHUNK_MIB each, copied with the
# tree one per call; scripts/bench/job_gpu.sh unpacks each into /tmp there and runs the benchmark.
# Shrinking: jars are rewritten uncompressed and then xz'd one by one (xz over a stored jar is about half the
# size of the deflated jar); the JRE is jlink'd uncompressed and xz'd the same way.
# Left out, as local-mode Spark writing Parquet never loads them: rocksdbjni (72 MB; only for a disk-backed
# UI/history store, streaming state or the external shuffle service), FFmpeg/JavaCV/JavaCPP/JavaFX (video
# only), JUnit, and native jars for other platforms than linux x86-64.
#   scripts/bench/stage-job-gpu.sh          CHUNK_MIB=<n> to change the chunk size, DEST=<dir> to stage elsewhere,
#                                           VIDEO=1 to add FFmpeg, JavaCPP and JavaCV (the video benchmark writes
#                                           its videos with JavaCV; one chunk more)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
DEST=${DEST:-$REPO}
CHUNK_MIB=${CHUNK_MIB:-48}
CACHE=$REPO/spark-job/target/jobgpu-cache  # xz'd third-party jars and the JRE, reused by the next staging
JOBS=$(nproc 2>/dev/null || echo 2)
# The modules Spark, Hadoop and our code load. Beyond the usual: java.security.jgss and jdk.security.auth,
# because Hadoop's UserGroupInformation (behind every Hadoop FileSystem, the local one included) needs the
# Kerberos and JAAS classes even without Kerberos; java.desktop for ImageIO's JPEG codec; jdk.jfr so a run can
# be profiled (JOB_GPU_JAVA_OPTS=-XX:StartFlightRecording=filename=...,settings=profile).
MODULES=java.base,java.datatransfer,java.desktop,java.logging,java.management,java.naming,java.net.http,java.prefs,java.security.jgss,java.security.sasl,java.sql,java.transaction.xa,java.xml,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.management.jfr,jdk.security.auth,jdk.unsupported

# 1. Build: kernels (fatbin), udfs, spark-job with its test classes, and spark-job's classpath with 'provided'
# Spark included (resolved in the reactor, so our modules are the jars just built).
VIDEO=${VIDEO:-0}
scope=compile
skip='/org/bytedeco/|'
if [[ $VIDEO == 1 ]]; then scope=test; skip=''; fi  # JavaCV is a test dependency
mvn -q -B -o ${MAVEN_ARGS:-} -pl spark-job -am package dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=$scope -Dmdep.outputFile=target/job.classpath
kernels_jar=$(ls kernels/target/vicinity-kernels-*.jar | grep -v -e '-sources\.jar$' -e '-tests\.jar$' | head -n 1)
python3 - "$kernels_jar" <<'EOF' || echo "WARNING: the kernels jar has no CUDA fatbin (no nvcc here?): the cuda backend will fail" >&2
import sys, zipfile
sys.exit(0 if any(n.endswith('.fatbin') for n in zipfile.ZipFile(sys.argv[1]).namelist()) else 1)
EOF

# 2. The jars, in classpath order: the benchmark (test classes), the job, then Maven's order.
rm -rf "$CACHE/own" && mkdir -p "$CACHE/own"
python3 - spark-job/target/test-classes "$CACHE/own/vicinity-spark-job-tests.jar" <<'EOF'
import os, sys, zipfile  # a directory -> an uncompressed jar
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as z:
    for root, dirs, files in sorted(os.walk(src)):
        for f in sorted(files):
            p = os.path.join(root, f)
            z.write(p, os.path.relpath(p, src))
EOF
{
  echo "$CACHE/own/vicinity-spark-job-tests.jar"
  ls spark-job/target/vicinity-spark-job-*.jar | grep -v -e '-job\.jar$' -e '-sources\.jar$' -e '-tests\.jar$'
  tr ':' '\n' <spark-job/target/job.classpath | grep -v -E \
    "/org/rocksdb/|${skip}/org/openjfx/|/org/junit/|/opentest4j/|/apiguardian/|-(osx-x86_64|osx-aarch_64|windows-x86_64|linux-aarch_64|linux-riscv64)\\.jar\$"
} >"$CACHE/jars.txt"
dups=$(xargs -n1 basename <"$CACHE/jars.txt" | sort | uniq -d)
[[ -z "$dups" ]] || { echo "two jars share a name: $dups" >&2; exit 1; }

# 3. Each jar -> uncompressed -> xz, in parallel; third-party jars are cached (their versions never change).
store_xz() {  # JAR OUTDIR: OUTDIR/NAME.xz (xz of the jar rewritten with every entry stored) + OUTDIR/NAME.md5
  local name; name=$(basename "$1")
  [[ -s "$2/$name.xz" && -s "$2/$name.md5" && "$1" != */vicinity-* ]] && return 0
  python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zin, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_STORED) as zout:
    for info in zin.infolist():
        data = zin.read(info)
        info.compress_type = zipfile.ZIP_STORED
        zout.writestr(info, data)' "$1" "$2/$name.tmp"
  md5sum <"$2/$name.tmp" | cut -d' ' -f1 >"$2/$name.md5"
  xz -6 -T1 -c "$2/$name.tmp" >"$2/$name.xz.tmp" && mv "$2/$name.xz.tmp" "$2/$name.xz" && rm "$2/$name.tmp"
}
export -f store_xz
mkdir -p "$CACHE/xz"
xargs -P "$JOBS" -I{} bash -c 'set -euo pipefail; store_xz "$1" "$2"' _ {} "$CACHE/xz" <"$CACHE/jars.txt"

# 4. The JRE: jlink'd from this JDK (the GPU machine has none), uncompressed modules so that xz does better.
if [[ ! -s "$CACHE/jre.txz" || "$(cat "$CACHE/jre.modules" 2>/dev/null)" != "$MODULES+libs" ]]; then
  rm -rf "$CACHE/jre" && mkdir -p "$CACHE/jre"
  jlink --add-modules "$MODULES" --output "$CACHE/jre/jre17" --strip-debug --no-header-files --no-man-pages \
    --compress=0
  # A distribution JDK links its JPEG and colour-management code against the system's libjpeg and lcms2,
  # which the GPU machine lacks: they travel inside the JRE (job_gpu.sh puts its lib/ on LD_LIBRARY_PATH).
  for lib in libjpeg.so.62 liblcms2.so.2; do
    src=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ && !found {print $NF; found = 1}')  # no early exit: ldconfig would die of SIGPIPE
    [[ -n $src ]] && cp -L "$src" "$CACHE/jre/jre17/lib/$lib"
  done
  tar cf - -C "$CACHE/jre" jre17 | xz -6 -T0 >"$CACHE/jre.txz.tmp"
  mv "$CACHE/jre.txz.tmp" "$CACHE/jre.txz" && echo "$MODULES+libs" >"$CACHE/jre.modules" && rm -rf "$CACHE/jre"
fi

# 5. Chunks: the JRE first, third-party jars by first-fit decreasing, our own jars last (they change with
# every build: after a code change, the last chunk alone needs sending again).
rm -rf "$DEST"/.jobgpu[0-9]*
limit=$((CHUNK_MIB * 1024 * 1024))
declare -a used=() files=()
place() {  # FILE [FROM]: put FILE in the first chunk (index >= FROM) with room, opening one if none
  local f=$1 size i; size=$(stat -c %s "$f")
  for ((i = ${2:-0}; i < ${#used[@]}; i++)); do
    if ((used[i] + size <= limit)); then used[i]=$((used[i] + size)); files[i]+=" $f"; return; fi
  done
  used+=("$size"); files+=(" $f")
}
declare -A chunk_of=()
place "$CACHE/jre.txz"
third=$(grep -v '/vicinity-' "$CACHE/jars.txt" | xargs -n1 basename | sed "s:^:$CACHE/xz/:; s:$:.xz:" \
  | xargs stat -c '%s %n' | sort -k1,1nr -k2 | cut -d' ' -f2)
for f in $third; do place "$f"; done
last=$((${#used[@]} - 1))
for f in $(grep '/vicinity-' "$CACHE/jars.txt" | xargs -n1 basename | sed "s:^:$CACHE/xz/:; s:$:.xz:"); do
  place "$f" "$last"
done
# The manifest every chunk carries: classpath order, chunk, md5 of the unpacked jar (job_gpu.sh checks them).
for ((i = 0; i < ${#used[@]}; i++)); do
  mkdir -p "$DEST/.jobgpu$((i + 1))"
  for f in ${files[i]}; do cp "$f" "$DEST/.jobgpu$((i + 1))/"; chunk_of[$(basename "$f" .xz)]=$((i + 1)); done
done
while read -r jar; do
  n=$(basename "$jar"); echo "${chunk_of[$n]} $n $(cat "$CACHE/xz/$n.md5")"
done <"$CACHE/jars.txt" >"$CACHE/manifest.txt"
for d in "$DEST"/.jobgpu[0-9]*; do cp "$CACHE/manifest.txt" "$d/manifest.txt"; done

# 6. What travels: the tree (tracked and untracked, not ignored) plus one chunk per call, 64 MiB at most.
tree=0
if git -C "$DEST" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$DEST" check-ignore -q .jobgpu1 || echo "WARNING: .jobgpu1 is not git-ignored: add /.jobgpu*/ to" \
    ".git/info/exclude, or every call carries every chunk" >&2
  tree=$(cd "$DEST" && { git ls-files -z; git ls-files -z --others --exclude-standard; } \
    | xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
fi
echo "staged ${#used[@]} chunks in $DEST (tree: $((tree / 1024)) KiB$( ((tree)) || echo ', unknown: not a git checkout'))":
for ((i = 1; i <= ${#used[@]}; i++)); do
  size=$(du -cb "$DEST/.jobgpu$i" | tail -1 | cut -f1)
  echo "  .jobgpu$i $((size / 1024)) KiB, with the tree $(((size + tree) / 1024)) KiB of 65536"
done
echo "GPU machine: ${#used[@]} calls, call i sends .jobgpu<i> and runs 'bash scripts/bench/job_gpu.sh unpack';"
echo "the last also runs 'bash scripts/bench/job_gpu.sh run MODEL IMAGES SIZE cuda BATCH MASTER [JOB_IMAGES]'."
