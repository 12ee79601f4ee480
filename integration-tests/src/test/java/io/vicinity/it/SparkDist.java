package io.vicinity.it;

import io.vicinity.job.VicinityJob;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A Spark "distribution" made from this JVM's classpath, as a cluster would have it: jars/ holds Spark,
 * Hadoop, hadoop-aws and the AWS SDK bundle (symbolic links to the Maven repository), but not the job
 * or the libraries only the job uses; conf/ holds the job's log4j2 config. Executors launched by a
 * worker get jars/ and conf/ as their classpath, so the job's classes reach them only through
 * spark-submit, as in production. {@link #submit} runs SparkSubmit as the spark-submit script would.
 */
final class SparkDist {
  /** Libraries of the job that no Spark distribution has: they must travel with the job. */
  private static final List<String> JOB_ONLY = List.of("/io/vicinity/", "/org/jcuda/", "/ai/djl/");

  private static SparkDist instance;

  final Path home;
  final Path jars;
  final Path conf;
  /** The job: spark-job's shaded -job.jar if built, else its plain jar plus the jars it needs (--jars). */
  final Path jobJar;
  final List<Path> extraJars;

  private SparkDist(Path home, Path jobJar, List<Path> extraJars) {
    this.home = home;
    this.jars = home.resolve("jars");
    this.conf = home.resolve("conf");
    this.jobJar = jobJar;
    this.extraJars = extraJars;
  }

  /** Built once per test JVM under target/it-work/spark-home. */
  static synchronized SparkDist get() throws IOException {
    if (instance == null) {
      instance = build(ItEnv.workDir().resolve("spark-home"));
    }
    return instance;
  }

  private static SparkDist build(Path home) throws IOException {
    S3Server.deleteTree(home);
    Path jarsDir = Files.createDirectories(home.resolve("jars"));
    Path confDir = Files.createDirectories(home.resolve("conf"));
    Files.copy(ItEnv.log4jConfig(), confDir.resolve("log4j2.properties"));
    Files.writeString(confDir.resolve("log4j2-daemon.properties"), String.join("\n",
        "rootLogger.level = info",
        "rootLogger.appenderRef.stderr.ref = console",
        "appender.console.type = Console",
        "appender.console.name = console",
        "appender.console.target = SYSTEM_ERR",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1}: %m%n%ex",
        ""));

    List<Path> jobClasspath = ItEnv.jobClasspath();
    Set<Path> jobEntries = new HashSet<>(jobClasspath);
    Set<String> names = new HashSet<>();
    for (Path entry : ItEnv.testClasspath()) {
      boolean isJobOnly = jobEntries.contains(entry) && isJobOnly(entry);
      if (isJobOnly || !Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
        continue; // the job's own jars, and class folders (target/classes, target/test-classes)
      }
      String name = entry.getFileName().toString();
      if (!names.add(name)) {
        name = names.size() + "-" + name;
        names.add(name);
      }
      Files.createSymbolicLink(jarsDir.resolve(name), entry);
    }

    Path shaded = shadedJobJar(jobClasspath);
    if (shaded != null && containsClass(shaded, "io/vicinity/udfs/ImageInference.class")) {
      return new SparkDist(home, shaded, List.of());
    }
    Path jobDir = Files.createDirectories(home.resolve("job"));
    List<Path> shipped = new ArrayList<>();
    for (Path entry : jobClasspath) {
      if (isJobOnly(entry)) {
        shipped.add(Files.isDirectory(entry) ? jarUp(entry, jobDir) : entry);
      }
    }
    Path jobJar = shipped.stream()
        .filter(p -> p.toString().contains("spark-job"))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("spark-job not on " + jobClasspath));
    shipped.remove(jobJar);
    // A jar with dependencies (shaded) needs nothing beside it.
    List<Path> extra = containsClass(jobJar, "io/vicinity/udfs/ImageInference.class") ? List.of() : shipped;
    return new SparkDist(home, jobJar, List.copyOf(extra));
  }

  /**
   * spark-job's jar with dependencies ({@code vicinity-spark-job-VERSION-job.jar}, attached by its shade
   * plugin) beside its plain jar or class folder, if it was built; else null.
   */
  private static Path shadedJobJar(List<Path> jobClasspath) throws IOException {
    for (Path entry : jobClasspath) {
      String path = entry.toString().replace('\\', '/');
      if (!path.contains("spark-job")) {
        continue;
      }
      Path dir = entry.getParent(); // target/ for a class folder, the version folder for a jar
      try (Stream<Path> files = Files.list(dir)) {
        return files.filter(f -> f.getFileName().toString().matches("vicinity-spark-job-.*-job\\.jar"))
            .findFirst()
            .orElse(null);
      }
    }
    return null;
  }

  private static boolean isJobOnly(Path entry) {
    String path = entry.toString().replace('\\', '/');
    return JOB_ONLY.stream().anyMatch(path::contains)
        || path.matches(".*/(kernels|udfs|spark-job)/target/.*");
  }

  /** The classpath of spark-submit itself and of the master and worker daemons, as bin/spark-class. */
  String launcherClasspath() {
    return conf + java.io.File.pathSeparator + jars.resolve("*");
  }

  /**
   * Starts the job through org.apache.spark.deploy.SparkSubmit (client mode), like
   * {@code spark-submit --master M --conf k=v... --class VicinityJob --jars ... job.jar ARGS}.
   */
  ChildJvm submit(String name, String master, List<String> confs, List<String> jobArgs) {
    return submit(name, master, confs, jobArgs, conf.resolve("log4j2.properties"));
  }

  /** As above, with the driver logging through {@code log4jConfig}. */
  ChildJvm submit(
      String name, String master, List<String> confs, List<String> jobArgs, Path log4jConfig) {
    List<String> command = new ArrayList<>(List.of(ItEnv.java(), "-Xmx1g"));
    command.addAll(ItEnv.sparkJvmArgs());
    command.addAll(List.of(
        "-Dlog4j2.configurationFile=" + log4jConfig,
        "-cp", launcherClasspath(),
        "org.apache.spark.deploy.SparkSubmit",
        "--master", master,
        "--deploy-mode", "client",
        "--class", VicinityJob.class.getName(),
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1"));
    for (String setting : confs) {
      command.add("--conf");
      command.add(setting);
    }
    if (!extraJars.isEmpty()) {
      command.add("--jars");
      command.add(String.join(",", extraJars.stream().map(Path::toString).toList()));
    }
    command.add(jobJar.toString());
    command.addAll(jobArgs);
    return ChildJvm.start(name, command, env());
  }

  /** Environment of every Spark child JVM: this Spark home, loopback only. */
  Map<String, String> env() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_CONF_DIR", conf.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("SPARK_LOCAL_HOSTNAME", "127.0.0.1");
    env.put("JAVA_HOME", System.getProperty("java.home"));
    return env;
  }

  private static boolean containsClass(Path jar, String entry) throws IOException {
    try (JarFile file = new JarFile(jar.toFile())) {
      return file.getEntry(entry) != null;
    }
  }

  /** A class folder (a reactor module built without `package`) as a jar spark-submit can ship. */
  private static Path jarUp(Path classes, Path outDir) throws IOException {
    Path module = classes.getParent().getParent();
    Path jar = outDir.resolve(module.getFileName() + ".jar");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream jarOut = new JarOutputStream(out);
        Stream<Path> files = Files.walk(classes)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        jarOut.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
        Files.copy(file, jarOut);
        jarOut.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot jar " + classes, e);
    }
    return jar;
  }
}
