package io.vicinity.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where the child JVMs of the integration tests find their pieces. Maven passes them as system
 * properties (see this module's pom); each names what is missing when a test is run without Maven.
 */
final class ItEnv {
  private ItEnv() {}

  /** Scratch space under target/ for the cluster's Spark home, worker dirs and the S3 server's files. */
  static Path workDir() {
    return directory("vicinity.it.workDir");
  }

  /** One log file per child JVM, kept after the run for debugging. */
  static Path logDir() {
    return directory("vicinity.it.logDir");
  }

  /** The S3 API server, a runnable jar with its own dependencies. */
  static Path s3proxyJar() {
    return Path.of(property("vicinity.it.s3proxyJar"));
  }

  /** The job's logging config (conf/log4j2.properties): Spark at WARN, io.vicinity at INFO. */
  static Path log4jConfig() {
    return Path.of(property("vicinity.it.log4jConfig")).toAbsolutePath().normalize();
  }

  /** The --add-opens flags Spark needs on Java 17 (the parent pom's spark.test.jvm.args). */
  static List<String> sparkJvmArgs() {
    return Arrays.stream(property("vicinity.it.jvmArgs").trim().split("\\s+"))
        .filter(arg -> !arg.isEmpty())
        .toList();
  }

  /** spark-job and its non-provided dependencies: what the job ships to a cluster. */
  static List<Path> jobClasspath() {
    try {
      String text = Files.readString(Path.of(property("vicinity.it.jobClasspath"))).trim();
      return split(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** This JVM's classpath: Spark, hadoop-aws and the AWS SDK bundle, the job, the tests. */
  static List<Path> testClasspath() {
    return split(System.getProperty("java.class.path"));
  }

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> split(String classpath) {
    List<Path> entries = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        entries.add(Path.of(entry).toAbsolutePath().normalize());
      }
    }
    return entries;
  }

  private static Path directory(String key) {
    try {
      return Files.createDirectories(Path.of(property(key)).toAbsolutePath().normalize());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String property(String key) {
    String value = System.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(
          "system property " + key + " is not set: run the integration tests through Maven");
    }
    return value;
  }
}
