package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
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
    return new ExecutorSettings(model.toString(), JobOptions.Backend.CPU, batch, 256L << 20, 64L << 20, 5,
        maxPixels, new OutputSchema.Provenance("demo", "sha256:abc", "run-1"), counters);
  }

  private static Progress.Counters counters() {
    return new Progress.Counters(new LongAccumulator(), new LongAccumulator(), new CollectionAccumulator<>());
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
    assertEquals(tasks * perTask, counters.done().value());
  }
}
