package io.vicinity.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.job.RunSummary;
import io.vicinity.job.VicinityJob;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar submitted with spark-submit to a standalone cluster (a master and two 1-core workers, all
 * separate JVMs on 127.0.0.1), reading and writing S3 through S3A. One run with nothing wrong, then one
 * in which a worker and its executor are killed while their task runs: Spark must re-run the lost task
 * on the other worker, and the output must hold every image exactly once with the same numbers.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterTest {
  private static final String BUCKET = "vicinity-cluster";
  private static final int IMAGES = 12;
  private static final int PARTITIONS = 4;
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);
  /** Logged by an executor when its first task loads the model, i.e. once a task is running there. */
  private static final String MODEL_LOADED = "Loaded model";

  @TempDir static Path tmp;
  private static Path model;
  private static Path images;
  private static S3Server s3;
  private static SparkDist dist;
  private static SparkCluster cluster;
  private static SparkSession reader;
  private static Map<String, ImageResult> expected;

  @BeforeAll
  static void setUp() throws IOException {
    model = tmp.resolve("demo-model");
    DemoCheckpoint.write(model);
    images = tmp.resolve("images");
    TestImages.writeMany(images, IMAGES);
    expected = JobOutput.libraryResults(model, images, JobOutput.imagesUnder(images));
    dist = SparkDist.get();
    s3 = S3Server.start(tmp.resolve("s3"));
    s3.upload(images, BUCKET, "images");
    cluster = SparkCluster.start(dist, tmp.resolve("cluster"), 2);
    reader = JobOutput.readerSession();
  }

  @AfterAll
  static void tearDown() {
    if (cluster != null) {
      cluster.close();
    }
    if (s3 != null) {
      s3.close();
    }
    if (reader != null) {
      reader.stop();
    }
  }

  private static ChildJvm submit(String name, String output, int delayMs) {
    List<String> confs = new ArrayList<>(s3.sparkConfs());
    confs.add("spark.executor.memory=768m");
    confs.add("spark.executor.cores=1");
    confs.add("spark.cores.max=2");
    confs.add("spark.executor.extraJavaOptions=" + String.join(" ", ItEnv.sparkJvmArgs()));
    List<String> args = List.of(
        "--input", "s3a://" + BUCKET + "/images", "--output", "s3a://" + BUCKET + "/" + output,
        "--model", model.toString(), "--task", "classify",
        "--top-k", Integer.toString(JobOutput.TOP_K), "--batch-size", "1",
        "--partitions", Integer.toString(PARTITIONS), "--backend", "cpu",
        "--debug-delay-per-image-ms", Integer.toString(delayMs));
    return dist.submit(name, cluster.masterUrl(), confs, args);
  }

  /** Every image exactly once, each equal to the library's result, and a truthful summary. */
  private static void assertCompleteOutput(String output) throws IOException {
    Path dir = s3.bucketDir(BUCKET).resolve(output);
    Map<String, Row> rows =
        JobOutput.rowsByRelativePath(reader, dir, "s3a://" + BUCKET + "/images/");
    Set<String> inputs = expected.keySet();
    assertEquals(new java.util.TreeSet<>(inputs), rows.keySet(), "every input exactly once");
    for (String input : inputs) {
      JobOutput.assertMatchesLibrary(expected.get(input), rows.get(input), input);
    }
    JobOutput.assertSummary(JobOutput.summary(dir), IMAGES, IMAGES, 0, 0);
  }

  @Test
  @Order(1)
  void runsOnBothWorkers() throws IOException {
    Set<Path> before0 = cluster.executorLogFiles(0);
    Set<Path> before1 = cluster.executorLogFiles(1);
    try (ChildJvm job = submit("cluster-clean", "out-clean", 100)) {
      assertEquals(VicinityJob.EXIT_OK, job.awaitExit(JOB_TIMEOUT), job.tail());
      assertCompleteOutput("out-clean");
      String executors0 = cluster.executorLogsSince(0, before0);
      String executors1 = cluster.executorLogsSince(1, before1);
      assertTrue(executors0.contains(MODEL_LOADED) && executors1.contains(MODEL_LOADED),
          "both workers' executors should have run tasks");
      JobOutput.assertNoSecret(s3.secretKey, Map.of(
          "the driver's output", job.output(),
          "worker 0's executor logs", executors0,
          "worker 1's executor logs", executors1,
          "the summary", Files.readString(
              s3.bucketDir(BUCKET).resolve("out-clean").resolve(RunSummary.FILE_NAME))));
    }
  }

  @Test
  @Order(2)
  void lostWorkerTasksRerunOnTheOther() throws IOException {
    int victim = 1;
    Set<Path> before = cluster.executorLogFiles(victim);
    try (ChildJvm job = submit("cluster-kill-worker", "out-killed", 700)) {
      // Its first task has read one image and loaded the model; two more images (1.4 s) remain.
      job.awaitCondition("a task running on worker " + victim,
          () -> cluster.executorLogsSince(victim, before).contains(MODEL_LOADED), JOB_TIMEOUT);
      cluster.killWorker(victim);
      assertEquals(VicinityJob.EXIT_OK, job.awaitExit(JOB_TIMEOUT), job.tail());
      String driver = job.output();
      assertTrue(driver.contains("Lost executor") || driver.contains("Lost task"),
          "the driver should have noticed the lost executor:\n" + job.tail());
    }
    assertCompleteOutput("out-killed");
  }
}
