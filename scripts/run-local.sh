#!/usr/bin/env bash
# Runs the Vicinity job in local Spark (one JVM, the driver is the executor).
#
#   scripts/run-local.sh                 demo: bundled samples/images through a random-weight demo model,
#                                        Parquet under out/predictions
#   scripts/run-local.sh --input DIR --output DIR --model HF_DIR --task classify [--top-k N] ...
#   scripts/run-local.sh --help          all options
#
# Builds the modules first when their jars are missing or older than the sources. Environment:
#   VICINITY_MASTER      Spark master (default local[*])
#   VICINITY_HEAP        JVM heap (default 4g)
#   VICINITY_JAVA_OPTS   extra JVM options, e.g. -Dspark.hadoop.fs.s3a.endpoint=...
#   MAVEN_ARGS           extra Maven options, e.g. -o to build offline
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOB_TARGET="$REPO/spark-job/target"
CLASSPATH_FILE="$JOB_TARGET/run-local.classpath"
MAIN_CLASS=io.vicinity.job.VicinityJob
DEMO_MODEL_CLASS=io.vicinity.udfs.demo.DemoCheckpoint

job_jar() {
  ls "$JOB_TARGET"/vicinity-spark-job-*.jar 2>/dev/null | grep -v -- '-sources\|-tests\|-job.jar' | head -n 1 || true
}

# True when the job jar is missing or any source or pom is newer than it.
build_is_stale() {
  local jar
  jar="$(job_jar)"
  [[ -z "$jar" ]] && return 0
  [[ -n "$(find "$REPO/pom.xml" "$REPO"/{kernels,udfs,spark-job}/pom.xml \
      "$REPO"/{kernels,udfs,spark-job}/src -newer "$jar" -type f -print -quit 2>/dev/null)" ]]
}

build() {
  echo "run-local: building kernels, udfs, spark-job (sources changed or jars missing)..." >&2
  (cd "$REPO" && mvn -q -B -Dstyle.color=never ${MAVEN_ARGS:-} install -DskipTests -pl kernels,udfs,spark-job -am)
}

# The job's dependencies, Spark included (it is 'provided' for spark-submit, but here we are the cluster).
write_classpath() {
  echo "run-local: resolving the Spark classpath..." >&2
  (cd "$REPO" && mvn -q -B -Dstyle.color=never ${MAVEN_ARGS:-} dependency:build-classpath -pl spark-job \
      -Dmdep.includeScope=compile -Dmdep.outputFile="$CLASSPATH_FILE")
}

# The --add-opens list Spark 4 needs on Java 17, read from the parent pom so it is kept in one place.
spark_jvm_args() {
  sed -n 's:.*<spark.test.jvm.args>\(.*\)</spark.test.jvm.args>.*:\1:p' "$REPO/pom.xml"
}

if build_is_stale; then
  build
fi
JAR="$(job_jar)"
if [[ ! -s "$CLASSPATH_FILE" || "$REPO/pom.xml" -nt "$CLASSPATH_FILE" || "$REPO/spark-job/pom.xml" -nt "$CLASSPATH_FILE" \
      || "$REPO/udfs/pom.xml" -nt "$CLASSPATH_FILE" ]]; then
  write_classpath
fi
CLASSPATH="$JAR:$(cat "$CLASSPATH_FILE")"

# shellcheck disable=SC2206  # the opens list and user options are meant to split on spaces
JAVA_CMD=(java -Xmx"${VICINITY_HEAP:-4g}" $(spark_jvm_args)
  -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$REPO/conf/log4j2.properties"
  -Dspark.master="${VICINITY_MASTER:-local[*]}"
  -Dspark.ui.enabled=false
  ${VICINITY_JAVA_OPTS:-}
  -cp "$CLASSPATH")

if [[ $# -gt 0 ]]; then
  exec "${JAVA_CMD[@]}" "$MAIN_CLASS" "$@"
fi

# Demo: relative paths from the repository root, so output rows read samples/images/...
cd "$REPO"
DEMO_NOTE="NOTE: the demo model has RANDOM weights; its labels are made up and its predictions are meaningless."
echo "run-local: demo run on samples/images with the demo model in out/demo-model"
"${JAVA_CMD[@]}" "$DEMO_MODEL_CLASS" out/demo-model
status=0
"${JAVA_CMD[@]}" "$MAIN_CLASS" --input samples/images --output out/predictions --model out/demo-model \
    --task classify --top-k 3 --mode overwrite || status=$?
if [[ $status -eq 0 ]]; then
  echo "run-local: predictions written to out/predictions (Parquet). $DEMO_NOTE"
fi
exit "$status"
