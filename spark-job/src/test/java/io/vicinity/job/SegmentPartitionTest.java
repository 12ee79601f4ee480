package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ScoredLabel;
import io.vicinity.udfs.segment.MaskPng;
import io.vicinity.udfs.segment.SegmentationInference;
import io.vicinity.udfs.segment.SegmentationOptions;
import io.vicinity.udfs.segment.SegmentationResult;
import io.vicinity.udfs.video.decode.VideoClipRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/** The segment partition function without Spark on the UperNet fixture, and the segment / video rows. */
class SegmentPartitionTest {
  /** The udfs module's fixture, from this module's directory (where surefire runs). */
  static final Path UPERNET = Path.of("../udfs/src/test/resources/fixtures/upernet/k3_four_stages_safetensors");

  private static final OutputSchema.Provenance PROVENANCE = new OutputSchema.Provenance("m", "sha256:x", "run-9");

  private static ExecutorSettings settings(Progress.Counters counters) {
    return new ExecutorSettings(UPERNET.resolve("model").toAbsolutePath().toString(), JobOptions.Backend.CPU,
        "fp32", 2, 256L << 20, 64L << 20, 5, 1_000_000, PROVENANCE, counters);
  }

  @SuppressWarnings("unchecked")
  private static <T> T get(StructType schema, Row row, String column) {
    return (T) row.get(schema.fieldIndex(column));
  }

  @Test
  void rowsInInputOrderWithTheLibrarysMasksAndAreas() throws IOException {
    Progress.Counters counters = Progress.Counters.local();
    List<Row> input = new ArrayList<>();
    List<ImageInput> images = new ArrayList<>();
    try (var files = Files.list(UPERNET.resolve("images"))) {
      for (Path f : files.sorted().toList()) {
        byte[] bytes = Files.readAllBytes(f);
        String name = f.getFileName().toString();
        input.add(RowFactory.create(name, 7L, bytes, null, "file:/in/" + name));
        images.add(new ImageInput(name, bytes));
      }
    }
    assertEquals(3, images.size());
    input.add(1, RowFactory.create("gone.png", 7L, null, "gone.png: cannot read file: x", "file:/in/gone.png"));
    input.add(RowFactory.create("bad.png", 7L, "not a png".getBytes(), null, "file:/in/bad.png"));

    SegmentPartition function = new SegmentPartition(settings(counters), true, VideoInputs.Frames.DEFAULTS);
    List<Row> rows = new ArrayList<>();
    Iterator<Row> it = function.call(input.iterator());
    it.forEachRemaining(rows::add);

    StructType schema = OutputSchema.segmentSchema(true);
    assertEquals(input.size(), rows.size());
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(input.get(i).getString(0), get(schema, rows.get(i), OutputSchema.PATH), "input order");
      assertEquals(schema.size(), rows.get(i).length());
    }
    assertEquals("read_error", get(schema, rows.get(1), OutputSchema.OUTCOME));
    assertNull(get(schema, rows.get(1), OutputSchema.MASK));
    assertEquals("decode_error", get(schema, rows.get(4), OutputSchema.OUTCOME));
    assertEquals(5, counters.done().value());
    assertEquals(2, counters.errors().value());

    try (SegmentationInference direct =
        SegmentationInference.open(UPERNET.resolve("model"), new SegmentationOptions(2, "cpu", true))) {
      List<SegmentationResult> expected = direct.run(images);
      int[] rowOf = {0, 2, 3};
      for (int k = 0; k < 3; k++) {
        SegmentationResult e = expected.get(k);
        Row row = rows.get(rowOf[k]);
        assertTrue(e.ok(), e.error());
        assertEquals("ok", get(schema, row, OutputSchema.OUTCOME));
        Row mask = get(schema, row, OutputSchema.MASK);
        assertEquals(e.height(), mask.getInt(1));
        assertEquals(e.width(), mask.getInt(2));
        assertArrayEquals(MaskPng.decodeSamples(e.maskPng()), MaskPng.decodeSamples((byte[]) mask.get(0)), e.path());
        assertArrayEquals(MaskPng.decodeSamples(e.scoresPng()),
            MaskPng.decodeSamples(get(schema, row, OutputSchema.MASK_SCORES)));
        scala.collection.Map<String, Float> areas = get(schema, row, OutputSchema.CLASS_AREAS);
        assertEquals(e.classAreas(), CollectionConverters.asJava(areas));
        assertNull(get(schema, row, OutputSchema.FRAME_INDEX), "an image is not a frame");
        assertEquals(OutputSchema.VERSION, (int) get(schema, row, OutputSchema.SCHEMA_VERSION));
      }
    }
  }

  @Test
  void threeProducerThreadsShareTheQueueAndLeaveNoPixelMemoryAllocated() throws Exception {
    List<ImageInput> images = new ArrayList<>();
    try (var files = Files.list(UPERNET.resolve("images"))) {
      for (Path f : files.sorted().toList()) {
        images.add(new ImageInput(f.getFileName().toString(), Files.readAllBytes(f)));
      }
    }
    // Without mask scores: a queue of its own, so its peak below says these tasks went through Arrow.
    ExecutorSettings settings = settings(Progress.Counters.local());
    SegmentPartition function = new SegmentPartition(settings, false, VideoInputs.Frames.DEFAULTS);
    int tasks = 3;
    int perTask = 7;
    ExecutorService threads = Executors.newFixedThreadPool(tasks);
    List<List<Row>> rows = new ArrayList<>();
    try {
      List<Future<List<Row>>> futures = new ArrayList<>();
      for (int t = 0; t < tasks; t++) {
        List<Row> input = new ArrayList<>();
        for (int i = 0; i < perTask; i++) {
          ImageInput image = images.get((t + i) % images.size());
          input.add(RowFactory.create("t" + t + "/" + i + "/" + image.path(), 7L, image.bytes(), null,
              "file:/in/" + image.path()));
        }
        futures.add(threads.submit(() -> {
          List<Row> out = new ArrayList<>();
          function.call(input.iterator()).forEachRemaining(out::add);
          return out;
        }));
      }
      for (Future<List<Row>> f : futures) {
        rows.add(f.get(120, TimeUnit.SECONDS));
      }
    } finally {
      threads.shutdownNow();
    }

    StructType schema = OutputSchema.segmentSchema(false);
    try (SegmentationInference direct =
        SegmentationInference.open(UPERNET.resolve("model"), new SegmentationOptions(2, "cpu", false))) {
      List<SegmentationResult> expected = direct.run(images);
      for (int t = 0; t < tasks; t++) {
        assertEquals(perTask, rows.get(t).size());
        for (int i = 0; i < perTask; i++) {
          SegmentationResult e = expected.get((t + i) % images.size());
          Row row = rows.get(t).get(i);
          String path = "t" + t + "/" + i + "/" + e.path();
          assertEquals(path, get(schema, row, OutputSchema.PATH), "input order");
          assertEquals("ok", get(schema, row, OutputSchema.OUTCOME), path);
          Row mask = get(schema, row, OutputSchema.MASK);
          assertArrayEquals(MaskPng.decodeSamples(e.maskPng()), MaskPng.decodeSamples((byte[]) mask.get(0)), path);
          scala.collection.Map<String, Float> areas = get(schema, row, OutputSchema.CLASS_AREAS);
          assertEquals(e.classAreas(), CollectionConverters.asJava(areas), path);
        }
      }
    }
    GpuAssignment gpu = GpuAssignment.choose(settings.backend(), GpuAssignment.current());
    ModelCache.Shared<?, ?> shared = ModelCache.sharedIfOpen(SegmentPartition.modelKey(settings, false, gpu.backend()));
    assertNotNull(shared, "the partition function opened no shared queue");
    ArrowPixelMemory memory = shared.memory();
    // The images went through Arrow (peak > 0) and every vector was closed when its batch was done.
    assertTrue(memory.peakBytes() > 0, "no image went through the Arrow memory");
    assertEquals(0, memory.allocatedBytes(), memory.toString());
    assertEquals(0, shared.queue().queued());
  }

  @Test
  void segmentSchemaAndRowShape() {
    StructType plain = OutputSchema.segmentSchema(false);
    assertEquals(List.of("path", "width", "height", "mask", "class_areas", "error", "frame_index", "timestamp_ms",
        "outcome", "input_modified", "model_name", "model_hash", "run_id", "schema_version"),
        List.of(plain.fieldNames()));
    assertEquals("struct<png:binary,height:int,width:int>", plain.apply("mask").dataType().simpleString());
    assertEquals("map<string,float>", plain.apply("class_areas").dataType().simpleString());
    assertTrue(List.of(OutputSchema.segmentSchema(true).fieldNames()).contains("mask_scores"));

    SegmentationResult result = new SegmentationResult("v.mp4", 4, 3, new byte[] {1}, Map.of("sky", 1.0f), null, null);
    Row frame = OutputSchema.segmentRow("v.mp4", result, null, false, new OutputSchema.Frame(6, 240L), Outcome.OK,
        5L, PROVENANCE);
    assertEquals(plain.size(), frame.length());
    assertEquals(6, (int) get(plain, frame, OutputSchema.FRAME_INDEX));
    assertEquals(240L, (long) get(plain, frame, OutputSchema.TIMESTAMP_MS));
    assertTrue(OutputSchema.isOk(frame));

    Row failed = OutputSchema.segmentRow("v.mp4", null, "v.mp4: truncated", false, OutputSchema.Frame.NONE,
        Outcome.DECODE_ERROR, 5L, PROVENANCE);
    assertEquals("v.mp4: truncated", get(plain, failed, OutputSchema.ERROR));
    assertNull(get(plain, failed, OutputSchema.MASK));
    assertNull(get(plain, failed, OutputSchema.WIDTH));
    assertFalse(OutputSchema.isOk(failed));
  }

  @Test
  void videoSchemaAndRows() {
    StructType schema = OutputSchema.videoSchema(true, false);
    assertEquals(List.of("path", "clip_index", "start_ms", "end_ms", "frames", "embedding", "top_k", "attention",
        "padded", "positions_extended", "attention_density", "error", "outcome", "input_modified", "model_name",
        "model_hash", "run_id", "schema_version"), List.of(schema.fieldNames()));
    assertFalse(List.of(OutputSchema.videoSchema(false, false).fieldNames()).contains("top_k"),
        "no top_k without a classifier");
    assertTrue(List.of(OutputSchema.videoSchema(false, true).fieldNames()).contains("logits"));

    VideoClipRow clip = new VideoClipRow("v.mkv", 2, 640L, 800L, 4, new float[] {1f, 2f},
        List.of(new ScoredLabel("a", 0.75f)), null, "dense", true, false, 1.0, null);
    Row row = OutputSchema.videoRow("in/v.mkv", clip, true, false, Outcome.OK, 5L, PROVENANCE);
    assertEquals(schema.size(), row.length());
    assertEquals("in/v.mkv", get(schema, row, OutputSchema.PATH), "the path as given, not the fetched copy");
    assertEquals(2, (int) get(schema, row, OutputSchema.CLIP_INDEX));
    assertEquals(640L, (long) get(schema, row, OutputSchema.START_MS));
    assertEquals(800L, (long) get(schema, row, OutputSchema.END_MS));
    assertEquals(4, (int) get(schema, row, OutputSchema.FRAMES));
    assertEquals(true, get(schema, row, OutputSchema.PADDED));
    Row[] topK = get(schema, row, OutputSchema.TOP_K);
    assertEquals("a", topK[0].getString(0));

    Row failed = OutputSchema.videoRow("in/cut.mkv",
        VideoClipRow.failedVideo("in/cut.mkv", "dense", "in/cut.mkv: truncated"), true, false,
        Outcome.DECODE_ERROR, 5L, PROVENANCE);
    assertNull(get(schema, failed, OutputSchema.CLIP_INDEX));
    assertNull(get(schema, failed, OutputSchema.EMBEDDING));
    assertEquals("dense", get(schema, failed, OutputSchema.ATTENTION));
    assertEquals("decode_error", get(schema, failed, OutputSchema.OUTCOME));
  }
}
