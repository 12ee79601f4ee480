package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classify partition function without Spark: task threads, the shared queue, the demo model. */
class InferPartitionTest {
  @TempDir static Path tmp;
  private static Path model;

  @BeforeAll
  static void writeModel() throws IOException {
    model = tmp.resolve("demo");
    DemoCheckpoint.write(model);
  }

  private static ExecutorSettings settings(int batch, Progress.Counters counters, long maxPixels) {
    return settings(batch, counters, maxPixels, 64L << 20);
  }

  private static ExecutorSettings settings(int batch, Progress.Counters counters, long maxPixels, long queueBytes) {
    return new ExecutorSettings(model.toString(), JobOptions.Backend.CPU, "fp32", batch, 256L << 20, queueBytes, 5,
        maxPixels, new OutputSchema.Provenance("demo", "sha256:abc", "run-1"), counters);
  }

  /** The Arrow memory of the queue that {@code settings}' tasks used (opened by the partition function). */
  private static ArrowPixelMemory memoryOf(ExecutorSettings settings) {
    GpuAssignment gpu = GpuAssignment.choose(settings.backend(), GpuAssignment.current());
    ModelCache.Shared<?, ?> shared = ModelCache.sharedIfOpen(InferPartition.modelKey(settings, 3, false, gpu));
    assertNotNull(shared, "the partition function opened no shared queue");
    return shared.memory();
  }

  /** Runs {@code perTask} images on each of {@code tasks} threads; returns each task's rows. */
  private static List<List<Row>> runTasks(InferPartition function, int tasks, int perTask) throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(tasks);
    try {
      List<Future<List<Row>>> futures = new ArrayList<>();
      for (int t = 0; t < tasks; t++) {
        List<Row> input = new ArrayList<>();
        for (int i = 0; i < perTask; i++) {
          input.add(encoded("t" + t + "/img" + i + ".png", i, png(24 + i, 20 + t, t * 100 + i), null));
        }
        futures.add(threads.submit(() -> drain(function.call(input.iterator()))));
      }
      List<List<Row>> rows = new ArrayList<>();
      for (Future<List<Row>> f : futures) {
        rows.add(f.get(120, TimeUnit.SECONDS));
      }
      return rows;
    } finally {
      threads.shutdownNow();
    }
  }

  /** Every row equals the library run directly on the same image (heap path) within 1e-6. */
  private static void assertSameAsLibrary(List<List<Row>> rows, int tasks, int perTask) throws IOException {
    try (ImageInference direct = ImageInference.open(model, new InferenceOptions(3, false, 1, "cpu"))) {
      for (int t = 0; t < tasks; t++) {
        for (int i = 0; i < perTask; i++) {
          Row row = rows.get(t).get(i);
          String path = "t" + t + "/img" + i + ".png";
          assertEquals(path, get(row, OutputSchema.PATH));
          assertEquals("ok", get(row, OutputSchema.OUTCOME), path);
          ImageResult want = direct.run(List.of(new ImageInput(path, png(24 + i, 20 + t, t * 100 + i)))).get(0);
          assertArrayEquals(want.embedding(), (float[]) get(row, OutputSchema.EMBEDDING), 1e-6f, path);
        }
      }
    }
  }

  @Test
  void severalProducerThreadsLeaveNoPixelMemoryAllocated() throws Exception {
    ExecutorSettings settings = settings(6, counters(), 1_000_000);
    List<List<Row>> rows = runTasks(new InferPartition(settings, 3, false), 4, 9);
    assertSameAsLibrary(rows, 4, 9);
    ArrowPixelMemory memory = memoryOf(settings);
    // The images went through Arrow (peak > 0) and every vector was closed when its batch was done.
    assertTrue(memory.peakBytes() > 0, "no image went through the Arrow memory");
    assertEquals(0, memory.allocatedBytes(), memory.toString());
    assertEquals(0, ArrowPixelMemory.executorRoot().getAllocatedMemory());
  }

  @Test
  void aQueueLimitBelowTwoBatchesStillFinishesAndIsNeverExceeded() throws Exception {
    // The demo model preprocesses every image to 64x64x3 float32 (48 KiB, 50 KiB with validity): room for
    // three images, while a batch is five.
    long limit = 3 * 51 * 1024;
    ExecutorSettings settings = settings(5, counters(), 1_000_000, limit);
    List<List<Row>> rows = runTasks(new InferPartition(settings, 3, false), 3, 8);
    assertSameAsLibrary(rows, 3, 8);
    ArrowPixelMemory memory = memoryOf(settings);
    assertEquals(limit, memory.limitBytes());
    assertTrue(memory.peakBytes() <= limit, memory.peakBytes() + " > " + limit);
    assertTrue(memory.waits() > 0, "the limit never made a producer wait");
    assertEquals(0, memory.allocatedBytes());
  }

  private static Progress.Counters counters() {
    return Progress.Counters.local();
  }

  static byte[] png(int width, int height, int seed) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, (x * 7 + y * 13 + seed * 31) * 0x010203 & 0xFFFFFF);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /** A PNG whose header claims width x height and holds no pixel data: decoding it would need gigabytes. */
  static byte[] pngClaiming(int width, int height) {
    ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    b.putInt(13);
    int crcStart = b.position();
    b.put(new byte[] {'I', 'H', 'D', 'R'}).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
        .put((byte) 0).put((byte) 0).put((byte) 0);
    CRC32 crc = new CRC32();
    crc.update(b.array(), crcStart, 17);
    b.putInt((int) crc.getValue());
    b.putInt(0).put(new byte[] {'I', 'E', 'N', 'D'}).putInt(0xAE426082);
    return b.array();
  }

  private static Row encoded(String path, long modified, byte[] bytes, String error) {
    return RowFactory.create(path, modified, bytes, error, "file:/in/" + path);
  }

  /** Rows from the partition function carry no schema (the encoder adds it): index by the schema. */
  @SuppressWarnings("unchecked")
  private static <T> T get(Row row, String column) {
    return (T) row.get(OutputSchema.of(false).fieldIndex(column));
  }

  private static List<Row> drain(Iterator<Row> rows) {
    List<Row> out = new ArrayList<>();
    rows.forEachRemaining(out::add);
    return out;
  }

  @Test
  void rowsInInputOrderWithOutcomesProvenanceAndTheLibrarysNumbers() throws Exception {
    Progress.Counters counters = counters();
    List<Row> input = new ArrayList<>();
    List<ImageInput> good = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      byte[] bytes = png(40 + i, 30 + 2 * i, i);
      input.add(encoded("img" + i + ".png", 1_000L * i, bytes, null));
      good.add(new ImageInput("img" + i + ".png", bytes));
    }
    input.add(2, encoded("huge.png", 5L, pngClaiming(30000, 30000), null));
    input.add(4, encoded("gone.png", InputListing.UNKNOWN_MODIFIED, null, "gone.png: cannot read file: x"));
    input.add(encoded("text.png", 9L, "not an image".getBytes(), null));

    List<Row> rows = drain(new InferPartition(settings(3, counters, 1_000_000), 3, false)
        .call(input.iterator()));

    assertEquals(input.size(), rows.size());
    Map<String, Row> byPath = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      assertEquals(input.get(i).getString(0), get(row, OutputSchema.PATH), "input order kept");
      assertEquals("demo", get(row, OutputSchema.MODEL_NAME));
      assertEquals("sha256:abc", get(row, OutputSchema.MODEL_HASH));
      assertEquals("run-1", get(row, OutputSchema.RUN_ID));
      assertEquals(OutputSchema.VERSION, (int) get(row, OutputSchema.SCHEMA_VERSION));
      byPath.put(get(row, OutputSchema.PATH), row);
    }
    assertEquals("too_large", get(byPath.get("huge.png"), OutputSchema.OUTCOME));
    assertTrue(InferPartitionTest.<String>get(byPath.get("huge.png"), OutputSchema.ERROR).contains("30000x30000"));
    assertEquals("read_error", get(byPath.get("gone.png"), OutputSchema.OUTCOME));
    assertNull(get(byPath.get("gone.png"), OutputSchema.INPUT_MODIFIED), "unknown modification time");
    assertEquals("decode_error", get(byPath.get("text.png"), OutputSchema.OUTCOME));
    assertEquals(new Timestamp(3_000L), get(byPath.get("img3.png"), OutputSchema.INPUT_MODIFIED));

    try (ImageInference direct = ImageInference.open(model, new InferenceOptions(3, false, 3, "cpu"))) {
      List<ImageResult> expected = direct.run(good);
      for (ImageResult e : expected) {
        Row row = byPath.get(e.path());
        assertEquals("ok", get(row, OutputSchema.OUTCOME), e.path());
        float[] embedding = (float[]) get(row, OutputSchema.EMBEDDING);
        assertArrayEquals(e.embedding(), embedding, 1e-5f, e.path());
      }
    }
    assertEquals(input.size(), counters.done().value());
    assertEquals(3, counters.errors().value());
    assertTrue(counters.devices().value().get(0).toLowerCase().contains("cpu"), counters.devices().value().toString());
    // The device's usage, reported when the rows ran out: the 7 decodable images, in batches of at most 3.
    assertEquals(7, counters.batchedImages().value(), "images in forward passes");
    assertTrue(counters.batches().value() >= 3, "batches: " + counters.batches().value());
    assertTrue(counters.busyMillis().value() > 0, "a CPU forward pass takes milliseconds");
  }

  @Test
  void concurrentTasksShareOneModelAndNeverLoseOrDuplicateARow() throws Exception {
    Progress.Counters counters = counters();
    InferPartition function = new InferPartition(settings(4, counters, 1_000_000), 3, false);
    int tasks = 4;
    int perTask = 10;
    ExecutorService threads = Executors.newFixedThreadPool(tasks);
    try {
      List<Future<List<Row>>> results = new ArrayList<>();
      for (int t = 0; t < tasks; t++) {
        List<Row> input = new ArrayList<>();
        for (int i = 0; i < perTask; i++) {
          input.add(encoded("t" + t + "/img" + i + ".png", i, png(32, 32, t * 100 + i), null));
        }
        results.add(threads.submit(() -> drain(function.call(input.iterator()))));
      }
      for (int t = 0; t < tasks; t++) {
        List<Row> rows = results.get(t).get();
        assertEquals(perTask, rows.size());
        for (int i = 0; i < perTask; i++) {
          assertEquals("t" + t + "/img" + i + ".png", get(rows.get(i), OutputSchema.PATH));
          assertEquals("ok", get(rows.get(i), OutputSchema.OUTCOME));
        }
      }
    } finally {
      threads.shutdownNow();
    }
    // No check of counters.done() here: Spark gives each task its own accumulator copy, while these four
    // threads share one LongAccumulator, whose add() is not thread-safe. The rows above are the count.
  }
}
