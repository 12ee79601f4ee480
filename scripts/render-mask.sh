#!/usr/bin/env bash
# Renders an image with its segmentation mask overlaid (a colour per class, a legend of the classes present
# with their areas) to a PNG, for looking at segmentation outputs.
#
#   scripts/render-mask.sh --output DIR --path INPUT_PATH --model MODEL_DIR --out OUT_PNG [--alpha A]
#       from a row of the job's output: DIR is the --output of a --task segment run, INPUT_PATH the row's
#       path column (the image is read from there; local or a Hadoop URI), MODEL_DIR gives the class names
#
#   scripts/render-mask.sh IMAGE MASK_PNG LABELS OUT_PNG [--alpha A]
#       from files: IMAGE as the job read it, MASK_PNG a row's mask.png bytes saved to a file (grayscale,
#       sample = class index, image-sized), LABELS the model directory, a config.json, or {"0": "name", ...}
#
#   --alpha   opacity of the mask colours (default 0.55)
#
# Builds the modules first when their jars are missing or older than the sources (the row mode needs the
# Spark job and reads Parquet through local Spark). MAVEN_ARGS passes extra Maven options (e.g. -o to
# build offline).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# $1 module, $2 jar-name prefix: the module's plain jar (not sources, tests or the shaded -job jar).
plain_jar() {
  ls "$REPO/$1/target/$2"-*.jar 2>/dev/null | grep -v -- '-sources\|-tests\|-job.jar' | head -n 1 || true
}

# True when $1 (a jar) is missing or any pom or source of the modules $2... is newer.
stale() {
  local jar="$1"
  shift
  [[ -z "$jar" ]] && return 0
  local dirs=()
  for m in "$@"; do dirs+=("$REPO/$m/src" "$REPO/$m/pom.xml"); done
  [[ -n "$(find "$REPO/pom.xml" "${dirs[@]}" -newer "$jar" -type f -print -quit 2>/dev/null)" ]]
}

if [[ "${1:-}" == --output ]]; then
  # Row mode: io.vicinity.job.RenderMask finds the row and calls MaskOverlay (classpath as run-local.sh's).
  MODULES=(kernels udfs spark-job)
  JAR="$(plain_jar spark-job vicinity-spark-job)"
  CLASSPATH_FILE="$REPO/spark-job/target/run-local.classpath"
  MAIN_CLASS=io.vicinity.job.RenderMask
  SCOPE=compile # with Spark: 'provided' for spark-submit, needed here
else
  MODULES=(kernels udfs)
  JAR="$(plain_jar udfs vicinity-udfs)"
  CLASSPATH_FILE="$REPO/udfs/target/render-mask.classpath"
  MAIN_CLASS=io.vicinity.udfs.segment.MaskOverlay
  SCOPE=runtime
fi
LAST="${MODULES[${#MODULES[@]}-1]}"

if stale "$JAR" "${MODULES[@]}"; then
  echo "render-mask: building ${MODULES[*]}..." >&2
  (cd "$REPO" && mvn -q -B ${MAVEN_ARGS:-} install -DskipTests -pl "$(IFS=,; echo "${MODULES[*]}")" -am)
  if [[ "$LAST" == spark-job ]]; then JAR="$(plain_jar spark-job vicinity-spark-job)"; else JAR="$(plain_jar udfs vicinity-udfs)"; fi
fi
if [[ ! -s "$CLASSPATH_FILE" || "$REPO/$LAST/pom.xml" -nt "$CLASSPATH_FILE" || "$REPO/pom.xml" -nt "$CLASSPATH_FILE" ]]; then
  (cd "$REPO" && mvn -q -B ${MAVEN_ARGS:-} dependency:build-classpath -pl "$LAST" \
      -Dmdep.includeScope="$SCOPE" -Dmdep.outputFile="$CLASSPATH_FILE")
fi
# The --add-opens list Spark 4 needs on Java 17 (harmless for MaskOverlay), kept in the parent pom.
# shellcheck disable=SC2046
exec java -Djava.awt.headless=true $(sed -n 's:.*<spark.test.jvm.args>\(.*\)</spark.test.jvm.args>.*:\1:p' "$REPO/pom.xml") \
  -Dlog4j2.configurationFile="$REPO/conf/log4j2.properties" \
  -cp "$JAR:$(cat "$CLASSPATH_FILE")" "$MAIN_CLASS" "$@"
