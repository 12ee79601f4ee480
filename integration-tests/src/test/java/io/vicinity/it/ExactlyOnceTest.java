package io.vicinity.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vicinity.job.VicinityJob;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reruns into an existing output (local Spark, in this JVM): --mode append adds exactly one row per
 * input per run, whatever happened before; --mode incremental processes only inputs that have no row
 * yet. The summary of each run counts what that run did, not what the output held before.
 */
class ExactlyOnceTest {
  @TempDir static Path tmp;
  private static Path model;
  private static SparkSession spark;

  @BeforeAll
  static void setUp() throws IOException {
    model = tmp.resolve("demo-model");
    DemoCheckpoint.write(model);
    spark = JobOutput.localJobSession("vicinity-it-exactly-once");
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) {
      spark.stop();
    }
  }

  private static int run(Path input, Path output, String mode) {
    return VicinityJob.run(new String[] {
        "--input", input.toString(), "--output", output.toString(), "--model", model.toString(),
        "--task", "classify", "--top-k", Integer.toString(JobOutput.TOP_K),
        "--batch-size", Integer.toString(JobOutput.BATCH_SIZE), "--partitions", "2",
        "--backend", "cpu", "--mode", mode});
  }

  /** How many rows each path has. */
  private static Map<String, Integer> rowCounts(Path output) {
    Map<String, Integer> counts = new HashMap<>();
    for (Row row : spark.read().parquet(output.toString()).select("path").collectAsList()) {
      counts.merge(row.getString(0), 1, Integer::sum);
    }
    return counts;
  }

  private static Set<String> shown(Path input, Set<String> relative) {
    Set<String> paths = new TreeSet<>();
    relative.forEach(r -> paths.add(input + "/" + r));
    return paths;
  }

  @Test
  void appendAddsExactlyOneRowPerInputPerRun() throws IOException {
    Path input = Files.createDirectories(tmp.resolve("append-in"));
    TestImages.writeGood(input);
    Set<String> images = shown(input, JobOutput.imagesUnder(input));
    Path output = tmp.resolve("append-out");

    assertEquals(VicinityJob.EXIT_OK, run(input, output, "overwrite"));
    assertEquals(VicinityJob.EXIT_OK, run(input, output, "append"));

    Map<String, Integer> counts = rowCounts(output);
    assertEquals(images, counts.keySet(), "the same paths");
    counts.forEach((path, n) -> assertEquals(2, n, path + ": one row from each of the two runs"));
    JobOutput.assertSummary(JobOutput.summary(output), images.size(), images.size(), 0, 0);
  }

  @Test
  void incrementalProcessesOnlyNewInputs() throws IOException {
    Path input = Files.createDirectories(tmp.resolve("incremental-in"));
    TestImages.writeGood(input);
    Set<String> first = shown(input, JobOutput.imagesUnder(input));
    Path output = tmp.resolve("incremental-out");

    assertEquals(VicinityJob.EXIT_OK, run(input, output, "incremental"));
    assertEquals(first, rowCounts(output).keySet());

    // Nothing new: nothing processed, nothing added.
    assertEquals(VicinityJob.EXIT_OK, run(input, output, "incremental"));
    Map<String, Integer> counts = rowCounts(output);
    assertEquals(first, counts.keySet());
    counts.forEach((path, n) -> assertEquals(1, n, path + ": processed again"));
    assertEquals(0, JobOutput.summary(output).get("images_processed").asLong(),
        "the rerun processed nothing: " + JobOutput.summary(output).toPrettyString());

    // Two new files: only they are processed.
    TestImages.writeMany(input.resolve("new"), 2);
    Set<String> all = shown(input, JobOutput.imagesUnder(input));
    List<String> added = new ArrayList<>(all);
    added.removeAll(first);
    assertEquals(2, added.size());
    assertEquals(VicinityJob.EXIT_OK, run(input, output, "incremental"));
    counts = rowCounts(output);
    assertEquals(all, counts.keySet(), "old and new inputs");
    counts.forEach((path, n) -> assertEquals(1, n, path + ": exactly one row"));
    assertEquals(2, JobOutput.summary(output).get("images_processed").asLong(),
        "only the new files: " + JobOutput.summary(output).toPrettyString());
  }
}
