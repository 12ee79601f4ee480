package io.vicinity.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.job.RunSummary;
import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reading a run's output back and judging it: one row per input (by path), numbers equal to a clean
 * run's or to the library's within {@link #TOLERANCE}, error rows where they belong, a truthful summary.
 */
final class JobOutput {
  static final double TOLERANCE = 1e-6;
  static final int TOP_K = 3;
  static final int BATCH_SIZE = 2;

  private JobOutput() {}

  /** A local[2] session in the test JVM for tests that run the job in-process (the job picks it up). */
  static SparkSession localJobSession(String appName) {
    return SparkSession.builder()
        .master("local[2]")
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
  }

  /** A small local session in the test JVM, only for reading Parquet back. */
  static SparkSession readerSession() {
    return SparkSession.builder()
        .master("local[1]")
        .appName("vicinity-it-reader")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate();
  }

  /** The rows keyed by the part of the path after {@code inputPrefix}; fails on a duplicate path. */
  static Map<String, Row> rowsByRelativePath(SparkSession spark, Path parquetDir, String inputPrefix) {
    Map<String, Row> rows = new TreeMap<>();
    for (Row row : spark.read().parquet(parquetDir.toString()).collectAsList()) {
      String path = row.getAs("path");
      assertTrue(path.startsWith(inputPrefix), "path " + path + " is not under " + inputPrefix);
      assertNull(rows.put(path.substring(inputPrefix.length()), row), "two rows for " + path);
    }
    return rows;
  }

  /** Every file under {@code dir} whose name has an image extension, relative, '/'-separated. */
  static Set<String> imagesUnder(Path dir) throws IOException {
    Set<String> images = new java.util.TreeSet<>();
    try (var files = Files.walk(dir)) {
      files.filter(Files::isRegularFile)
          .map(f -> dir.relativize(f).toString().replace('\\', '/'))
          .filter(name -> name.toLowerCase(java.util.Locale.ROOT).matches(".*\\.(jpe?g|png|bmp|gif)"))
          .forEach(images::add);
    }
    return images;
  }

  /** What the library says for each file's bytes, keyed like the files. */
  static Map<String, ImageResult> libraryResults(Path model, Path dir, Set<String> relativePaths)
      throws IOException {
    List<ImageInput> inputs = new ArrayList<>();
    for (String relative : relativePaths) {
      inputs.add(new ImageInput(relative, Files.readAllBytes(dir.resolve(relative))));
    }
    try (ImageInference direct =
        ImageInference.open(model, new InferenceOptions(TOP_K, false, BATCH_SIZE, "cpu"))) {
      Map<String, ImageResult> results = new HashMap<>();
      for (ImageResult result : direct.run(inputs)) {
        results.put(result.path(), result);
      }
      return results;
    }
  }

  /** A good row equal to the library's result for the same bytes. */
  static void assertMatchesLibrary(ImageResult expected, Row row, String what) {
    assertTrue(expected.ok(), what + ": the library itself failed: " + expected.error());
    assertNull(row.getAs("error"), what);
    assertEquals(expected.width(), (int) row.getAs("width"), what + ": width");
    assertEquals(expected.height(), (int) row.getAs("height"), what + ": height");
    assertFloatsClose(expected.embedding(), floats(row, "embedding"), what + ": embedding");
    List<Row> topK = row.getList(row.fieldIndex("top_k"));
    assertEquals(expected.topK().size(), topK.size(), what + ": top_k size");
    for (int i = 0; i < topK.size(); i++) {
      assertEquals(expected.topK().get(i).label(), topK.get(i).getAs("label"), what + ": label " + i);
    }
  }

  /** Two good rows (this run's, a clean run's) with the same numbers. */
  static void assertSameResult(Row expected, Row actual, String what) {
    assertNull(actual.getAs("error"), what + " must be a good row");
    assertEquals((int) expected.getAs("width"), (int) actual.getAs("width"), what + ": width");
    assertEquals((int) expected.getAs("height"), (int) actual.getAs("height"), what + ": height");
    assertFloatsClose(floats(expected, "embedding"), floats(actual, "embedding"), what + ": embedding");
    assertEquals(expected.getList(expected.fieldIndex("top_k")).stream().map(r -> ((Row) r).getAs("label")).toList(),
        actual.getList(actual.fieldIndex("top_k")).stream().map(r -> ((Row) r).getAs("label")).toList(),
        what + ": top_k labels");
  }

  /** An error row naming the file, with no numbers. */
  static void assertErrorRow(Row row, String fileName, String what) {
    String error = row.getAs("error");
    assertNotNull(error, what + " must be an error row");
    assertTrue(error.contains(fileName), what + ": error should name the file: " + error);
    assertTrue(row.isNullAt(row.fieldIndex("embedding")), what + ": embedding");
    assertTrue(row.isNullAt(row.fieldIndex("top_k")), what + ": top_k");
  }

  static JsonNode summary(Path outputDir) throws IOException {
    Path file = outputDir.resolve(RunSummary.FILE_NAME);
    assertTrue(Files.isRegularFile(file), "no " + RunSummary.FILE_NAME + " in " + outputDir);
    return new ObjectMapper().readTree(file.toFile());
  }

  static void assertSummary(JsonNode summary, long filesSeen, long processed, long errors, long skipped) {
    String text = summary.toPrettyString();
    assertEquals(filesSeen, summary.get("files_seen").asLong(), "files_seen in " + text);
    assertEquals(processed, summary.get("images_processed").asLong(), "images_processed in " + text);
    assertEquals(errors, summary.get("errors").asLong(), "errors in " + text);
    assertEquals(skipped, summary.get("skipped_non_images").asLong(), "skipped_non_images in " + text);
  }

  /** The secret must not be in any of these texts (logs, the summary). */
  static void assertNoSecret(String secret, Map<String, String> texts) {
    assertFalse(secret.isBlank());
    texts.forEach((name, text) ->
        assertFalse(text.contains(secret), "the S3 secret key appears in " + name));
  }

  static float[] floats(Row row, String column) {
    List<Object> values = row.getList(row.fieldIndex(column));
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (Float) values.get(i);
    }
    return out;
  }

  static void assertFloatsClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      if (Math.abs(expected[i] - actual[i]) > TOLERANCE) {
        fail(what + ": element " + i + " differs by more than " + TOLERANCE + ": "
            + Arrays.toString(expected) + " vs " + Arrays.toString(actual));
      }
    }
  }
}
