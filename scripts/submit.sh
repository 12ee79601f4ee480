#!/usr/bin/env bash
# Submits the Vicinity job to a Spark cluster with the S3A and committer jars it needs.
#
#   scripts/submit.sh --master spark://host:7077 -- --input s3a://bucket/images --output s3a://bucket/out \
#       --model /opt/models/dinat-mini --task classify --mode incremental
#
# Options before '--' go to spark-submit (--master, --deploy-mode, --conf k=v, ...); options after it go
# to the job (see --help). Environment:
#   VICINITY_JOB_JAR        the shaded job jar (default: spark-job/target/vicinity-spark-job-*-job.jar)
#   VICINITY_CONF           properties file (default: conf/spark-defaults.conf)
#   VICINITY_LOG4J          log4j2 file shipped to driver and executors (default: conf/log4j2.properties)
#   VICINITY_PACKAGES       Maven coordinates resolved by spark-submit (default: hadoop-aws, the AWS SDK
#                           bundle and spark-hadoop-cloud matching Spark 4.1.1 / Hadoop 3.4.2)
#   VICINITY_JARS           comma-separated local jars instead of VICINITY_PACKAGES (air-gapped clusters)
#   SPARK_HOME              Spark installation (spark-submit is taken from $SPARK_HOME/bin if set)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPARK_VERSION=4.1.1
HADOOP_VERSION=3.4.2
AWS_SDK_VERSION=2.29.52   # the bundle hadoop-aws 3.4.2 is built and tested against

JAR="${VICINITY_JOB_JAR:-$(ls "$REPO"/spark-job/target/vicinity-spark-job-*-job.jar 2>/dev/null | head -n 1 || true)}"
if [[ -z "$JAR" || ! -f "$JAR" ]]; then
  echo "submit.sh: no job jar; build it with: mvn -B package -DskipTests -pl spark-job -am" >&2
  exit 2
fi
CONF="${VICINITY_CONF:-$REPO/conf/spark-defaults.conf}"
LOG4J="${VICINITY_LOG4J:-$REPO/conf/log4j2.properties}"
PACKAGES="${VICINITY_PACKAGES:-org.apache.hadoop:hadoop-aws:$HADOOP_VERSION,software.amazon.awssdk:bundle:$AWS_SDK_VERSION,org.apache.spark:spark-hadoop-cloud_2.13:$SPARK_VERSION}"

spark_args=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
  spark_args+=("$1")
  shift
done
[[ "${1:-}" == "--" ]] && shift

if [[ -n "${VICINITY_JARS:-}" ]]; then
  deps=(--jars "$VICINITY_JARS")
else
  deps=(--packages "$PACKAGES")
fi

SUBMIT="${SPARK_HOME:+$SPARK_HOME/bin/}spark-submit"
# log4j2.properties lands in each container's working directory (--files), which is where
# spark-defaults.conf's -Dlog4j2.configurationFile=log4j2.properties looks. The GPU discovery script runs
# before shipped files arrive, so it must be installed on every worker (README.md, "Running on a cluster").
exec "$SUBMIT" \
  --class io.vicinity.job.VicinityJob \
  --name vicinity \
  --properties-file "$CONF" \
  --files "$LOG4J#log4j2.properties" \
  "${deps[@]}" \
  "${spark_args[@]}" \
  "$JAR" "$@"
