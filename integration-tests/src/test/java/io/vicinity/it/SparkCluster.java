package io.vicinity.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1: one master and N workers, each a JVM started the way
 * sbin/start-master.sh and start-worker.sh would (org.apache.spark.deploy.master.Master and
 * org.apache.spark.deploy.worker.Worker on the Spark classpath). Workers are small (1 core, 1 GiB) so
 * the cluster fits a 2-core CI machine. Executors write their logs to {@code work/app-*}/N/stderr
 * under each worker's folder.
 */
final class SparkCluster implements AutoCloseable {
  static final String WORKER_MEMORY = "1g";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  private final SparkDist dist;
  private final Path dir;
  private final ChildJvm master;
  private final String masterUrl;
  private final List<ChildJvm> workers = new ArrayList<>();
  private final List<Path> workerDirs = new ArrayList<>();

  private SparkCluster(SparkDist dist, Path dir, ChildJvm master, String masterUrl) {
    this.dist = dist;
    this.dir = dir;
    this.master = master;
    this.masterUrl = masterUrl;
  }

  static SparkCluster start(SparkDist dist, Path dir, int workerCount) throws IOException {
    Files.createDirectories(dir);
    int port = ItEnv.freePort();
    ChildJvm master = ChildJvm.start("spark-master", daemon(dist,
        "org.apache.spark.deploy.master.Master",
        "--host", "127.0.0.1", "--port", Integer.toString(port),
        "--webui-port", Integer.toString(ItEnv.freePort())), dist.env());
    SparkCluster cluster = new SparkCluster(dist, dir, master, "spark://127.0.0.1:" + port);
    try {
      master.awaitOutput("I have been elected leader", START_TIMEOUT);
      for (int i = 0; i < workerCount; i++) {
        cluster.startWorker();
      }
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  String masterUrl() {
    return masterUrl;
  }

  int workerCount() {
    return workers.size();
  }

  ChildJvm worker(int index) {
    return workers.get(index);
  }

  /** Starts one more worker and waits until the master has registered it. */
  int startWorker() throws IOException {
    int index = workers.size();
    Path workDir = Files.createDirectories(dir.resolve("worker-" + index));
    ChildJvm worker = ChildJvm.start("spark-worker-" + index, daemon(dist,
        "org.apache.spark.deploy.worker.Worker",
        "--host", "127.0.0.1",
        "--cores", "1",
        "--memory", WORKER_MEMORY,
        "--work-dir", workDir.toString(),
        "--webui-port", Integer.toString(ItEnv.freePort()),
        masterUrl), dist.env());
    workers.add(worker);
    workerDirs.add(workDir);
    worker.awaitOutput("Successfully registered with master", START_TIMEOUT);
    return index;
  }

  /** Kills a worker and its executors at once, as a lost machine would. */
  void killWorker(int index) {
    workers.get(index).kill();
  }

  /** The stdout and stderr files of the executors this worker has launched so far. */
  java.util.Set<Path> executorLogFiles(int index) {
    try (Stream<Path> files = Files.walk(workerDirs.get(index))) {
      return files.filter(p -> p.getFileName().toString().equals("stderr")
              || p.getFileName().toString().equals("stdout"))
          .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the executors launched by this worker wrote, except in the files {@code earlier}. */
  String executorLogsSince(int index, java.util.Set<Path> earlier) {
    StringBuilder text = new StringBuilder();
    for (Path file : executorLogFiles(index)) {
      if (!earlier.contains(file)) {
        try {
          text.append(Files.readString(file));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return text.toString();
  }

  private static List<String> daemon(SparkDist dist, String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(ItEnv.java(), "-Xmx256m"));
    command.addAll(ItEnv.sparkJvmArgs());
    command.add("-Dlog4j2.configurationFile=" + dist.conf.resolve("log4j2-daemon.properties"));
    command.add("-cp");
    command.add(dist.launcherClasspath());
    command.add(mainClass);
    command.addAll(List.of(args));
    return command;
  }

  @Override
  public void close() {
    for (ChildJvm worker : workers) {
      worker.kill();
    }
    master.kill();
  }
}
