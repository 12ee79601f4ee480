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
import io.vicinity.job.VicinityJob;
import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.ScoredLabel;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real job in local Spark (local[2]) on a folder of generated images with the demo checkpoint,
 * reads the Parquet back and compares it with what the library returns for the same bytes.
 */
class LocalSparkJobTest {
  private static final double TOLERANCE = 1e-6;
  private static final int TOP_K = 3;
  private static final int BATCH_SIZE = 2;

  @TempDir static Path tmp;
  private static Path input;
  private static Path model;
  private static SparkSession spark;

  @BeforeAll
  static void setUp() throws IOException {
    input = Files.createDirectories(tmp.resolve("images"));
    TestImages.writeTo(input);
    model = tmp.resolve("demo-model");
    DemoCheckpoint.write(model);
    spark = JobOutput.localJobSession("vicinity-it");
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) {
      spark.stop();
    }
  }

  private static String[] jobArgs(Path output, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "--input", input.toString(), "--output", output.toString(), "--model", model.toString(),
        "--task", "classify", "--top-k", Integer.toString(TOP_K),
        "--batch-size", Integer.toString(BATCH_SIZE), "--partitions", "2", "--backend", "cpu"));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  private static Map<String, Row> rowsByPath(Path output) {
    Map<String, Row> rows = new HashMap<>();
    for (Row row : spark.read().parquet(output.toString()).collectAsList()) {
      assertNull(rows.put(row.getAs("path"), row), "two rows for " + row.getAs("path"));
    }
    return rows;
  }

  private static String shownPath(String relative) {
    return input + "/" + relative;
  }

  /** What the library itself says for each good image, with the options the job was given. */
  private static Map<String, ImageResult> libraryResults(boolean emitLogits) throws IOException {
    List<ImageInput> inputs = new ArrayList<>();
    for (TestImages.Good good : TestImages.GOOD) {
      inputs.add(new ImageInput(shownPath(good.relativePath()),
          Files.readAllBytes(input.resolve(good.relativePath()))));
    }
    try (ImageInference direct =
        ImageInference.open(model, new InferenceOptions(TOP_K, emitLogits, BATCH_SIZE, "cpu"))) {
      Map<String, ImageResult> results = new HashMap<>();
      for (ImageResult result : direct.run(inputs)) {
        assertTrue(result.ok(), "library failed on a good image: " + result.error());
        results.put(result.path(), result);
      }
      return results;
    }
  }

  @Test
  void writesOneRowPerImageMatchingTheLibrary() throws IOException {
    Path output = tmp.resolve("out-plain");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(jobArgs(output)));

    org.apache.spark.sql.types.StructType schema = spark.read().parquet(output.toString()).schema();
    assertEquals(
        List.of("path:string", "width:int", "height:int", "embedding:array<float>",
            "top_k:array<struct<label:string,score:float>>", "error:string"),
        Arrays.stream(schema.fields()).limit(6).map(f -> f.name() + ":" + f.dataType().simpleString())
            .toList(),
        "the result columns first: " + schema.simpleString());
    assertFalse(Arrays.asList(schema.fieldNames()).contains("logits"),
        "no logits column without --emit-logits: " + schema.simpleString());

    Map<String, Row> rows = rowsByPath(output);
    Set<String> expectedPaths = TestImages.GOOD.stream()
        .map(g -> shownPath(g.relativePath())).collect(Collectors.toSet());
    expectedPaths.add(shownPath(TestImages.CORRUPT));
    expectedPaths.add(shownPath(TestImages.EMPTY));
    assertEquals(expectedPaths, rows.keySet(), "one row per image, the text file skipped");

    Map<String, ImageResult> expected = libraryResults(false);
    for (TestImages.Good good : TestImages.GOOD) {
      String path = shownPath(good.relativePath());
      Row row = rows.get(path);
      assertNull(row.getAs("error"), path);
      assertEquals(good.width(), (int) row.getAs("width"), path);
      assertEquals(good.height(), (int) row.getAs("height"), path);
      assertFloatsClose(expected.get(path).embedding(), floats(row, "embedding"), path);
      assertTopKClose(expected.get(path).topK(), row.getList(row.fieldIndex("top_k")), path);
    }

    for (String broken : List.of(TestImages.CORRUPT, TestImages.EMPTY)) {
      Row row = rows.get(shownPath(broken));
      String error = row.getAs("error");
      assertNotNull(error, broken + " must be an error row");
      assertTrue(error.contains(broken), "error should name the file: " + error);
      assertTrue(row.isNullAt(row.fieldIndex("embedding")), broken);
      assertTrue(row.isNullAt(row.fieldIndex("top_k")), broken);
      assertTrue(row.isNullAt(row.fieldIndex("width")), broken);
    }

    JsonNode summary = new ObjectMapper().readTree(output.resolve(RunSummary.FILE_NAME).toFile());
    assertEquals(TestImages.GOOD.size() + 3, summary.get("files_seen").asInt());
    assertEquals(TestImages.GOOD.size() + 2, summary.get("images_processed").asInt());
    assertEquals(2, summary.get("errors").asInt());
    assertEquals(1, summary.get("skipped_non_images").asInt());
    assertTrue(summary.get("random_weights_demo").asBoolean());
    assertFalse(summary.get("backend").asText().isBlank());
    assertEquals(model.getFileName().toString(), summary.get("model_name").asText());
  }

  @Test
  void logitsColumnOnlyWithEmitLogits() throws IOException {
    Path output = tmp.resolve("out-logits");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(jobArgs(output, "--emit-logits")));

    Map<String, Row> rows = rowsByPath(output);
    Map<String, ImageResult> expected = libraryResults(true);
    for (TestImages.Good good : TestImages.GOOD) {
      String path = shownPath(good.relativePath());
      Row row = rows.get(path);
      float[] logits = floats(row, "logits");
      assertEquals(10, logits.length, "one logit per demo label");
      assertFloatsClose(expected.get(path).logits(), logits, path);
      assertFloatsClose(expected.get(path).embedding(), floats(row, "embedding"), path);
    }
    Row corrupt = rows.get(shownPath(TestImages.CORRUPT));
    assertTrue(corrupt.isNullAt(corrupt.fieldIndex("logits")));
  }

  @Test
  void existingOutputIsRefusedUnlessOverwrite() throws IOException {
    Path output = Files.createDirectories(tmp.resolve("out-exists"));
    assertEquals(VicinityJob.EXIT_USAGE, VicinityJob.run(jobArgs(output)));
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(jobArgs(output, "--mode", "overwrite")));
    assertEquals(TestImages.GOOD.size() + 2, rowsByPath(output).size());
  }

  private static float[] floats(Row row, String column) {
    List<Object> values = row.getList(row.fieldIndex(column));
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (Float) values.get(i);
    }
    return out;
  }

  private static void assertFloatsClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      if (Math.abs(expected[i] - actual[i]) > TOLERANCE) {
        fail(what + ": element " + i + " differs by more than " + TOLERANCE + ": "
            + Arrays.toString(expected) + " vs " + Arrays.toString(actual));
      }
    }
  }

  private static void assertTopKClose(List<ScoredLabel> expected, List<Row> actual, String what) {
    assertEquals(TOP_K, actual.size(), what + ": top_k size");
    assertEquals(expected.size(), actual.size(), what);
    for (int i = 0; i < expected.size(); i++) {
      Row entry = actual.get(i);
      assertEquals(expected.get(i).label(), entry.getAs("label"), what + ": label " + i);
      assertEquals(expected.get(i).score(), (float) entry.getAs("score"), TOLERANCE, what + ": score " + i);
    }
  }
}
