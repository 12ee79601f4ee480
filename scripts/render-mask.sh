#!/usr/bin/env bash
# Renders an image with its segmentation mask overlaid (a colour per class, a legend of the classes present
# with their areas) to a PNG, for looking at segmentation outputs.
#
#   scripts/render-mask.sh IMAGE MASK_PNG LABELS OUT_PNG [--alpha A]
#
#   IMAGE     the input image as the job read it
#   MASK_PNG  the row's mask.png bytes saved to a file (grayscale, sample = class index, image-sized)
#   LABELS    the model directory (id2label of its config.json), a config.json, or {"0": "name", ...}
#   --alpha   opacity of the mask colours (default 0.55)
#
# Reading the mask straight from a Parquet row of the job's output is to come with the job's segmentation
# task. Builds kernels and udfs first when the udfs jar is missing or older than the sources. MAVEN_ARGS
# passes extra Maven options (e.g. -o to build offline).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$REPO/udfs/target"
CLASSPATH_FILE="$TARGET/render-mask.classpath"
MAIN_CLASS=io.vicinity.udfs.segment.MaskOverlay

udfs_jar() {
  ls "$TARGET"/vicinity-udfs-*.jar 2>/dev/null | grep -v -- '-sources\|-tests' | head -n 1 || true
}

jar="$(udfs_jar)"
if [[ -z "$jar" || -n "$(find "$REPO"/{kernels,udfs}/src "$REPO"/{kernels,udfs}/pom.xml -newer "$jar" -type f -print -quit)" ]]; then
  echo "render-mask: building kernels and udfs..." >&2
  (cd "$REPO" && mvn -q -B ${MAVEN_ARGS:-} install -DskipTests -pl kernels,udfs -am)
  jar="$(udfs_jar)"
fi
if [[ ! -s "$CLASSPATH_FILE" || "$REPO/udfs/pom.xml" -nt "$CLASSPATH_FILE" ]]; then
  (cd "$REPO" && mvn -q -B ${MAVEN_ARGS:-} dependency:build-classpath -pl udfs \
      -Dmdep.includeScope=runtime -Dmdep.outputFile="$CLASSPATH_FILE")
fi
exec java -Djava.awt.headless=true -cp "$jar:$(cat "$CLASSPATH_FILE")" "$MAIN_CLASS" "$@"
