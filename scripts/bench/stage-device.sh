#!/usr/bin/env bash
# Run here (the build machine) before a GPU run: builds the kernels module (fatbin included) and the
# udfs module, and copies what the GPU machine needs into .devjars/ (git-ignored, copied to the GPU machine
# with the tree): the kernels and udfs jars, their test classes (udfs' without resources: run_device.sh reads
# the fixtures from udfs/src/test/resources in the tree, to stay under the 64 MiB transfer limit), the runtime
# dependencies, JCuda + natives, the JUnit console launcher and slf4j.
# DEVJARS=<dir> stages elsewhere (e.g. build in a private copy of the tree, stage into the real checkout).
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q -B -o -pl kernels,udfs install -DskipTests
mvn -q -B -o -pl kernels,udfs test-compile
D=${DEVJARS:-.devjars}
mkdir -p "$D/lib"
rm -rf "$D/test-classes" "$D/udfs-test-classes" "$D"/lib/*
cp -r kernels/target/test-classes "$D/test-classes"
mkdir -p "$D/udfs-test-classes" && cp -r udfs/target/test-classes/io "$D/udfs-test-classes/"
cp kernels/target/vicinity-kernels-*.jar "$D/vicinity-kernels.jar"
cp udfs/target/vicinity-udfs-*.jar "$D/vicinity-udfs.jar"
M=${MAVEN_REPO:-$HOME/.m2/repository}
cp "$M"/org/jcuda/jcuda/12.6.0/jcuda-12.6.0.jar "$D/"
cp "$M"/org/jcuda/jcuda-natives/12.6.0/jcuda-natives-12.6.0-linux-x86_64.jar "$D/"
cp "$M"/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar "$D/"
# udfs' other dependencies (DJL api, Jackson, ...); JUnit, JCuda and our own jars are placed above; DJL's
# jna and commons-compress and the video decoder's FFmpeg/JavaCV jars (~37 MB) are left out: the GPU runs
# don't decode video, and a transfer to the GPU machine is capped at 64 MiB.
mvn -q -B -o -pl udfs dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/vicinity-udfs-cp.txt
tr ':' '\n' </tmp/vicinity-udfs-cp.txt | grep -v -E '/(junit|jcuda|vicinity|opentest4j|apiguardian|slf4j|jna|commons-compress|ffmpeg|javacv|javacpp|javafx)' \
  | xargs -r -I{} cp {} "$D/lib/"
[[ -f "$D/junit-platform-console-standalone-1.13.4.jar" ]] || \
  (cd "$D" && mvn -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.13.4 -DoutputDirectory=.)
[[ -f "$D/slf4j-simple-2.0.17.jar" ]] || \
  (cd "$D" && mvn -q -B dependency:copy -Dartifact=org.slf4j:slf4j-simple:2.0.17 -DoutputDirectory=.)
du -sh "$D"
