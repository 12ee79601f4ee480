#!/usr/bin/env bash
# Run here (the build machine) before a device run: builds the kernels module (fatbin included) and copies
# what the GPU machine needs into .devjars/ (git-ignored, carried by the device tool): the kernels jar, its
# test classes, JCuda + natives, the JUnit console launcher and slf4j.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q -B -o -pl kernels install -DskipTests
mvn -q -B -o -pl kernels test-compile
D=.devjars
mkdir -p "$D"
rm -rf "$D/test-classes" && cp -r kernels/target/test-classes "$D/test-classes"
cp kernels/target/vicinity-kernels-*.jar "$D/vicinity-kernels.jar"
M=${MAVEN_REPO:-$HOME/.m2/repository}
cp "$M"/org/jcuda/jcuda/12.6.0/jcuda-12.6.0.jar "$D/"
cp "$M"/org/jcuda/jcuda-natives/12.6.0/jcuda-natives-12.6.0-linux-x86_64.jar "$D/"
cp "$M"/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar "$D/"
[[ -f "$D/junit-platform-console-standalone-1.13.4.jar" ]] || \
  (cd "$D" && mvn -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.13.4 -DoutputDirectory=.)
[[ -f "$D/slf4j-simple-2.0.17.jar" ]] || \
  (cd "$D" && mvn -q -B dependency:copy -Dartifact=org.slf4j:slf4j-simple:2.0.17 -DoutputDirectory=.)
du -sh "$D"
