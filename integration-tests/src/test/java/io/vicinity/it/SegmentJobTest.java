package io.vicinity.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.job.RenderMask;
import io.vicinity.job.RunSummary;
import io.vicinity.job.VicinityJob;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.segment.MaskPng;
import io.vicinity.udfs.segment.SegmentationInference;
import io.vicinity.udfs.segment.SegmentationOptions;
import io.vicinity.udfs.segment.SegmentationResult;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --task segment end to end in local Spark with the UperNet fixture model (from the udfs module's test
 * resources): the masks read back from Parquet, decoded from their PNGs, equal SegmentationInference run
 * directly; then scripts/render-mask.sh's row mode renders one of them.
 */
class SegmentJobTest {
  /** Relative to this module's directory, where surefire runs. */
  private static final Path FIXTURE = Path.of("../udfs/src/test/resources/fixtures/upernet/k3_four_stages_safetensors");
  private static final Path MODEL = FIXTURE.resolve("model");

  @TempDir static Path tmp;
  private static Path input;
  private static SparkSession spark;

  @BeforeAll
  static void setUp() throws IOException {
    input = Files.createDirectories(tmp.resolve("images"));
    try (var files = Files.list(FIXTURE.resolve("images"))) {
      for (Path f : files.toList()) {
        Files.copy(f, input.resolve(f.getFileName()));
      }
    }
    Files.createDirectories(input.resolve("sub"));
    Files.write(input.resolve("sub/broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    Files.writeString(input.resolve("notes.txt"), "not an image");
    spark = JobOutput.localJobSession("vicinity-it-segment");
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) {
      spark.stop();
    }
  }

  private static String[] args(Path output, String... extra) {
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", output.toString(),
        "--model", MODEL.toString(), "--task", "segment", "--batch-size", "2", "--partitions", "2",
        "--backend", "cpu"));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  @Test
  void masksReadBackFromParquetEqualTheLibrarys() throws IOException {
    Path output = tmp.resolve("out-segment");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(args(output, "--mask-scores")));

    Map<String, Row> rows = new HashMap<>();
    for (Row row : spark.read().parquet(output.toString()).collectAsList()) {
      assertNull(rows.put(row.getAs("path"), row), "one row per image");
    }
    assertEquals(4, rows.size(), "3 images and the broken one; notes.txt skipped: " + rows.keySet());

    List<ImageInput> images = new ArrayList<>();
    try (var files = Files.list(FIXTURE.resolve("images"))) {
      for (Path f : files.sorted().toList()) {
        images.add(new ImageInput(input + "/" + f.getFileName(), Files.readAllBytes(f)));
      }
    }
    try (SegmentationInference direct = SegmentationInference.open(MODEL, new SegmentationOptions(2, "cpu", true))) {
      for (SegmentationResult expected : direct.run(images)) {
        assertTrue(expected.ok(), expected.error());
        Row row = rows.get(expected.path());
        assertEquals("ok", row.getAs("outcome"), expected.path());
        assertEquals(expected.width(), row.getAs("width"));
        Row mask = row.getAs("mask");
        assertEquals(expected.height(), mask.getAs("height"));
        assertEquals(expected.width(), mask.getAs("width"));
        byte[] png = mask.getAs("png");
        assertArrayEquals(MaskPng.decodeSamples(expected.maskPng()), MaskPng.decodeSamples(png), expected.path());
        assertEquals(expected.width() * expected.height(), MaskPng.decodeSamples(png).length,
            "the mask has the image's own size");
        assertArrayEquals(MaskPng.decodeSamples(expected.scoresPng()),
            MaskPng.decodeSamples(row.<byte[]>getAs("mask_scores")));
        Map<String, Float> areas = row.getJavaMap(row.fieldIndex("class_areas"));
        assertEquals(expected.classAreas(), areas);
        assertEquals(1.0, areas.values().stream().mapToDouble(Float::doubleValue).sum(), 1e-4);
        assertNull(row.getAs("frame_index"));
        assertEquals(3, (int) row.getAs("schema_version"));
      }
    }
    Row broken = rows.get(input + "/sub/broken.png");
    assertEquals("decode_error", broken.getAs("outcome"));
    assertNull(broken.getAs("mask"));
    assertTrue(broken.<String>getAs("error").contains("broken.png"), broken.<String>getAs("error"));

    JsonNode summary = new ObjectMapper().readTree(output.resolve(RunSummary.FILE_NAME).toFile());
    assertEquals("segment", summary.get("task").asText());
    assertEquals(4, summary.get("images_processed").asLong());
    assertEquals(4, summary.get("inputs_processed").asLong());
    assertEquals(1, summary.get("errors").asLong());

    // scripts/render-mask.sh's row mode: the row found by path, the image overlaid, a legend beside it.
    String image = input + "/00_100x70_RGB.png";
    Path rendered = tmp.resolve("overlay.png");
    assertEquals(0, RenderMask.run(new String[] {"--output", output.toString(), "--path", image,
        "--model", MODEL.toString(), "--out", rendered.toString()}));
    BufferedImage overlay = ImageIO.read(rendered.toFile());
    BufferedImage original = ImageIO.read(Path.of(image).toFile());
    assertTrue(overlay.getWidth() > original.getWidth(), "a legend to the right");
    assertTrue(overlay.getHeight() >= original.getHeight());
    assertNotEquals(original.getRGB(10, 10) & 0xFFFFFF, overlay.getRGB(10, 10) & 0xFFFFFF, "the mask is blended in");
  }

  @Test
  void withoutMaskScoresThereIsNoScoresColumnAndLogitsAreRefused() {
    Path output = tmp.resolve("out-plain");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(args(output, "--max-error-rate", "0.5")));
    List<String> columns = List.of(spark.read().parquet(output.toString()).columns());
    assertEquals(List.of("path", "width", "height", "mask", "class_areas", "error", "frame_index", "timestamp_ms",
        "outcome"), columns.subList(0, 9));
    assertEquals(VicinityJob.EXIT_USAGE, VicinityJob.run(args(tmp.resolve("out-logits"), "--emit-logits")),
        "masks have no logits column");
  }
}
