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
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job submitted with spark-submit (local[2]) reading images from and writing Parquet to a real S3
 * API server through S3A, with faulty inputs and an outage of the server. Output is read back from the
 * server's files and compared with a clean run and with the library.
 */
class S3JobTest {
  private static final String BUCKET = "vicinity-it";
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(4);
  /** Printed by the driver after listing, before any task runs: the inputs are fixed from here on. */
  private static final Pattern LISTED = Pattern.compile("\\d+ inputs to process");

  @TempDir static Path tmp;
  private static Path model;
  private static S3Server s3;
  private static SparkDist dist;
  private static SparkSession reader;
  private static Map<String, Row> cleanRows;
  private static String cleanLog;

  @BeforeAll
  static void setUp() throws IOException {
    model = tmp.resolve("demo-model");
    DemoCheckpoint.write(model);
    dist = SparkDist.get();
    s3 = S3Server.start(tmp.resolve("s3"));
    TestImages.writeGood(tmp.resolve("clean"));
    s3.upload(tmp.resolve("clean"), BUCKET, "clean");
    reader = JobOutput.readerSession();
  }

  @AfterAll
  static void tearDown() {
    if (s3 != null) {
      s3.close();
    }
    if (reader != null) {
      reader.stop();
    }
  }

  private static String s3a(String key) {
    return "s3a://" + BUCKET + "/" + key;
  }

  /** An output, read back as the server's files. */
  private static Path local(String key) {
    return s3.bucketDir(BUCKET).resolve(key);
  }

  private static List<String> jobArgs(String input, String output, int delayMs) {
    return new ArrayList<>(List.of(
        "--input", s3a(input), "--output", s3a(output), "--model", model.toString(),
        "--task", "classify", "--top-k", Integer.toString(JobOutput.TOP_K),
        "--batch-size", Integer.toString(JobOutput.BATCH_SIZE), "--partitions", "2",
        "--backend", "cpu", "--debug-delay-per-image-ms", Integer.toString(delayMs),
        // each test writes its own output; overwrite so a retried clean run is not refused
        "--mode", "overwrite"));
  }

  private static ChildJvm submit(String name, List<String> args) {
    return dist.submit(name, "local[2]", s3.sparkConfs(), args);
  }

  /** Exit code 0, and the secret key in neither the job's output nor the summary. */
  private void assertSucceededQuietly(ChildJvm job, String output) throws IOException {
    assertEquals(VicinityJob.EXIT_OK, job.awaitExit(JOB_TIMEOUT), job.tail());
    JobOutput.assertNoSecret(s3.secretKey, Map.of(
        "the job's output", job.output(),
        "the summary", Files.readString(local(output).resolve(RunSummary.FILE_NAME))));
  }

  /** The good images' rows from a run with nothing wrong; computed once, checked against the library. */
  private static synchronized Map<String, Row> cleanRows() throws IOException {
    if (cleanRows == null) {
      try (ChildJvm job = submit("s3-clean", jobArgs("clean", "out-clean", 0))) {
        assertEquals(VicinityJob.EXIT_OK, job.awaitExit(JOB_TIMEOUT), job.tail());
        cleanLog = job.output();
      }
      cleanRows = JobOutput.rowsByRelativePath(reader, local("out-clean"), s3a("clean/"));
    }
    return cleanRows;
  }

  @Test
  void cleanRunThroughS3MatchesTheLibrary() throws IOException {
    Map<String, Row> rows = cleanRows();
    Set<String> inputs = JobOutput.imagesUnder(tmp.resolve("clean"));
    assertEquals(inputs, rows.keySet(), "one row per input");
    Map<String, ImageResult> expected = JobOutput.libraryResults(model, tmp.resolve("clean"), inputs);
    for (String input : inputs) {
      JobOutput.assertMatchesLibrary(expected.get(input), rows.get(input), input);
    }
    JobOutput.assertSummary(JobOutput.summary(local("out-clean")), inputs.size(), inputs.size(), 0, 0);
    JobOutput.assertNoSecret(s3.secretKey, Map.of(
        "the job's output", cleanLog,
        "the summary", Files.readString(local("out-clean").resolve(RunSummary.FILE_NAME))));
  }

  @Test
  void aModelOnS3GivesTheRowsOfTheSameModelOnLocalDisk() throws IOException {
    s3.upload(model, BUCKET, "models/demo-model");
    List<String> args = jobArgs("clean", "out-s3-model", 0);
    args.set(args.indexOf("--model") + 1, s3a("models/demo-model"));
    try (ChildJvm job = submit("s3-model", args)) {
      assertSucceededQuietly(job, "out-s3-model");
      assertTrue(job.output().contains("Copied model " + s3a("models/demo-model")), job.tail());
    }
    Map<String, Row> clean = cleanRows();
    Map<String, Row> rows = JobOutput.rowsByRelativePath(reader, local("out-s3-model"), s3a("clean/"));
    assertEquals(clean.keySet(), rows.keySet(), "one row per input");
    for (String input : clean.keySet()) {
      JobOutput.assertSameResult(clean.get(input), rows.get(input), input);
      assertEquals((String) clean.get(input).getAs("model_name"), rows.get(input).getAs("model_name"), input);
      assertEquals((String) clean.get(input).getAs("model_hash"), rows.get(input).getAs("model_hash"), input);
    }
  }

  @Test
  void aMissingModelOnS3FailsBeforeSparkStarts() throws IOException {
    List<String> args = jobArgs("clean", "out-no-model", 0);
    args.set(args.indexOf("--model") + 1, s3a("models/no-such-model"));
    try (ChildJvm job = submit("s3-no-model", args)) {
      assertEquals(VicinityJob.EXIT_BAD_MODEL, job.awaitExit(JOB_TIMEOUT), job.tail());
      assertTrue(job.output().contains("model directory not found: " + s3a("models/no-such-model")), job.tail());
      assertTrue(!job.output().contains("Starting Spark"), job.tail());
    }
  }

  @Test
  void faultyInputsBecomeErrorRowsAndGoodOnesMatchACleanRun() throws IOException {
    Map<String, Row> clean = cleanRows();
    Path dir = tmp.resolve("faulty");
    TestImages.writeFaults(dir);
    String vanishing = "zz_vanishes_after_listing.png";
    Files.copy(dir.resolve(TestImages.GOOD.get(0).relativePath()), dir.resolve(vanishing));
    Set<String> inputs = JobOutput.imagesUnder(dir);
    s3.upload(dir, BUCKET, "faulty");

    Map<String, Row> rows;
    try (ChildJvm job = submit("s3-faulty", jobArgs("faulty", "out-faulty", 200))) {
      // Listed but gone before any executor reads it: the file is last in its partition, each read
      // waits 200 ms, and reading starts only after Spark has started.
      job.awaitOutputMatching(LISTED, JOB_TIMEOUT);
      s3.delete(BUCKET, "faulty/" + vanishing);
      assertSucceededQuietly(job, "out-faulty");
    }
    rows = JobOutput.rowsByRelativePath(reader, local("out-faulty"), s3a("faulty/"));
    assertEquals(inputs, rows.keySet(), "every listed input exactly once");

    for (TestImages.Good good : TestImages.GOOD) {
      JobOutput.assertSameResult(clean.get(good.relativePath()), rows.get(good.relativePath()),
          good.relativePath());
    }
    JobOutput.assertSameResult(clean.get(TestImages.GOOD.get(0).relativePath()),
        rows.get(TestImages.PNG_NAMED_JPG), "a PNG named .jpg is read by its content");
    List<String> broken = List.of(TestImages.CORRUPT, TestImages.EMPTY, TestImages.TRUNCATED,
        TestImages.TEXT_NAMED_PNG, TestImages.OVERSIZED, vanishing);
    for (String name : broken) {
      JobOutput.assertErrorRow(rows.get(name), name, name);
    }
    String oversized = rows.get(TestImages.OVERSIZED).getAs("error");
    assertTrue(oversized.contains("30000"), "the error should give the claimed size: " + oversized);
    String gone = rows.get(vanishing).getAs("error");
    assertTrue(gone.contains("cannot read"), "a vanished object is a read error: " + gone);

    JobOutput.assertSummary(JobOutput.summary(local("out-faulty")),
        inputs.size() + 1, inputs.size(), broken.size(), 1);
  }

  @Test
  void s3OutageDuringTheJobIsRiddenOut() throws IOException {
    Map<String, Row> clean = cleanRows();
    // Log S3A's retries, so the test knows the job met the outage before the server comes back.
    Path log4j = tmp.resolve("log4j2-s3a-retries.properties");
    Files.writeString(log4j, Files.readString(ItEnv.log4jConfig())
        + "\nlogger.s3aretry.name = org.apache.hadoop.fs.s3a.Invoker\nlogger.s3aretry.level = debug\n");
    try (ChildJvm job = dist.submit("s3-outage", "local[2]", s3.sparkConfs(),
        jobArgs("clean", "out-outage", 300), log4j)) {
      job.awaitOutputMatching(LISTED, JOB_TIMEOUT);
      s3.stop();
      int stoppedAt = job.output().length();
      try {
        // Evidence that a read met the dead server (S3A logs each failed attempt before retrying).
        job.awaitOutputAfter(stoppedAt, "Connection refused", Duration.ofSeconds(90));
      } finally {
        s3.start();
      }
      assertSucceededQuietly(job, "out-outage");
    }
    Map<String, Row> rows = JobOutput.rowsByRelativePath(reader, local("out-outage"), s3a("clean/"));
    assertEquals(clean.keySet(), rows.keySet(), "every input exactly once");
    rows.forEach((path, row) -> JobOutput.assertSameResult(clean.get(path), row, path));
    JobOutput.assertSummary(JobOutput.summary(local("out-outage")), rows.size(), rows.size(), 0, 0);
  }
}
