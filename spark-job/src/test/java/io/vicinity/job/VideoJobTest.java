package io.vicinity.job;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.demo.DemoCheckpoint;
import io.vicinity.udfs.video.VideoAttention;
import io.vicinity.udfs.video.VideoInference;
import io.vicinity.udfs.video.decode.ClipSampling;
import io.vicinity.udfs.video.decode.FrameRow;
import io.vicinity.udfs.video.decode.VideoClipRow;
import io.vicinity.udfs.video.decode.VideoFrames;
import io.vicinity.udfs.video.decode.VideoPipeline;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job end to end in local Spark on videos written by the test (lossless FFV1, 48x40, 25 fps: frame i
 * starts at 40*i ms): --task video with the VideoMAE fixture (clip counts, timestamps, padding, a truncated
 * video as one error row, radial attention on clips longer than the checkpoint's), and --task classify on a
 * video (one row per sampled frame), each compared with the library run directly; and the video and classify
 * partition functions without Spark, whose off-heap pixels must give the heap path's bits and be freed.
 */
class VideoJobTest {
  private static final Path VIDEOMAE = Path.of("../udfs/src/test/resources/fixtures/videomae/cls_keybias/model");
  private static final int FPS = 25;

  @TempDir static Path tmp;
  private static Path input;
  private static SparkSession spark;
  /** 20 and 8 frames: 3 clips (the last padded, 4 real frames) and 1 clip at the default 8 frames. */
  private static List<byte[]> framesA;

  @BeforeAll
  static void setUp() throws IOException {
    input = Files.createDirectories(tmp.resolve("videos"));
    framesA = frames(20, 1);
    write(input.resolve("a.mkv"), framesA);
    Path b = write(input.resolve("sub/B.MKV"), frames(8, 2));
    byte[] whole = Files.readAllBytes(write(tmp.resolve("c.mkv"), frames(16, 3)));
    Files.write(input.resolve("cut.mkv"), Arrays.copyOf(whole, whole.length / 2));
    Files.writeString(input.resolve("notes.txt"), "not a video");
    assertTrue(Files.size(b) > 0);
    spark = SparkSession.builder().master("local[2]").appName("vicinity-video-test")
        .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2").getOrCreate();
  }

  @AfterAll
  static void tearDown() {
    if (spark != null) {
      spark.stop();
    }
  }

  /** Smooth, distinct frames (RGB, 48x40). */
  private static List<byte[]> frames(int count, int seed) {
    List<byte[]> out = new ArrayList<>();
    for (int t = 0; t < count; t++) {
      byte[] rgb = new byte[48 * 40 * 3];
      for (int y = 0; y < 40; y++) {
        for (int x = 0; x < 48; x++) {
          int i = (y * 48 + x) * 3;
          rgb[i] = (byte) (x * 5 + seed * 40);
          rgb[i + 1] = (byte) (y * 6);
          rgb[i + 2] = (byte) (t * 12 + seed * 70);
        }
      }
      out.add(rgb);
    }
    return out;
  }

  private static Path write(Path file, List<byte[]> frames) throws IOException {
    Files.createDirectories(file.getParent());
    try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(file.toFile(), 48, 40, 0)) {
      rec.setFormat("matroska");
      rec.setVideoCodecName("ffv1");
      rec.setPixelFormat(AV_PIX_FMT_BGR0);
      rec.setFrameRate(FPS);
      rec.start();
      TestVideoFiles.record(rec, 48, 40, frames.size(), frames::get);
      rec.stop();
    }
    return file;
  }

  private static List<Row> rows(Path output, String... orderBy) {
    return spark.read().parquet(output.toString()).orderBy(orderBy[0], Arrays.copyOfRange(orderBy, 1, orderBy.length))
        .collectAsList();
  }

  private static String[] args(Path output, String task, Path model, String... extra) {
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", output.toString(),
        "--model", model.toString(), "--task", task, "--backend", "cpu", "--batch-size", "2", "--partitions", "2"));
    args.addAll(List.of(extra));
    return args.toArray(String[]::new);
  }

  /** The library's rows for one of the test videos, with the job's options. */
  private static List<VideoClipRow> direct(String relative, VideoAttention attention, ClipSampling sampling) {
    try (VideoInference inference =
        VideoInference.open(VIDEOMAE, new InferenceOptions(5, false, 2, "cpu"), attention)) {
      return new VideoPipeline(inference, sampling, 2).run(relative, input.resolve(relative));
    }
  }

  private static void assertClipsMatch(List<VideoClipRow> expected, List<Row> rows) {
    assertEquals(expected.size(), rows.size());
    for (int k = 0; k < rows.size(); k++) {
      VideoClipRow e = expected.get(k);
      Row row = rows.get(k);
      assertEquals(k, (int) row.getAs("clip_index"));
      assertEquals(e.startMs(), row.getAs("start_ms"));
      assertEquals(e.endMs(), row.getAs("end_ms"));
      assertEquals(e.frames(), row.getAs("frames"));
      assertEquals(e.padded(), row.getAs("padded"));
      assertEquals(e.positionsExtended(), row.getAs("positions_extended"));
      assertEquals(e.attention(), row.getAs("attention"));
      // The job's clips go through Arrow memory, the library's here through the heap: the same bits.
      assertArrayEquals(e.embedding(), floats(row.getList(row.fieldIndex("embedding"))), "clip " + k);
      assertEquals("ok", row.getAs("outcome"));
    }
  }

  private static float[] floats(List<Float> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values.get(i);
    }
    return out;
  }

  /** Settings for a partition function called without Spark; a --queue-bytes of its own picks fresh memory. */
  private static ExecutorSettings settings(Path model, long queueBytes) {
    return new ExecutorSettings(model.toAbsolutePath().toString(), JobOptions.Backend.CPU, "fp32", 2, 256L << 20,
        queueBytes, 200, 1_000_000, new OutputSchema.Provenance("m", "sha256:x", "run-1"),
        Progress.Counters.local());
  }

  /** {@code function}'s rows for one of the test videos, read as ReadImageBytes reads a video (no bytes). */
  private static List<Row> call(TaskPartition function, String relative) {
    Path file = input.resolve(relative);
    List<Row> rows = new ArrayList<>();
    function.call(List.of(RowFactory.create(file.toString(), 7L, null, null, file.toUri().toString())).iterator())
        .forEachRemaining(rows::add);
    return rows;
  }

  @Test
  void videoClipsGoThroughArrowMemoryWithTheHeapsResultsAndAreFreed() {
    long queueBytes = 24L << 20; // no other test's: a memory of its own, so its peak below is this test's
    ExecutorSettings settings = settings(VIDEOMAE, queueBytes);
    VideoPartition.VideoSettings video =
        VideoPartition.VideoSettings.from(JobConfig.parse(args(tmp.resolve("unused"), "video", VIDEOMAE)));
    // top-k 4: a model of its own in the executor's cache, so the usage below is this call's alone.
    List<Row> rows = call(new VideoPartition(new VideoPartition.Video(settings, video, 4, false, true)), "a.mkv");

    List<VideoClipRow> expected = direct("a.mkv", VideoAttention.DENSE, video.sampling());
    StructType schema = OutputSchema.videoSchema(true, false);
    assertEquals(3, expected.size());
    assertEquals(expected.size(), rows.size());
    for (int k = 0; k < rows.size(); k++) {
      assertEquals("ok", rows.get(k).get(schema.fieldIndex("outcome")));
      assertArrayEquals(expected.get(k).embedding(), (float[]) rows.get(k).get(schema.fieldIndex("embedding")),
          "clip " + k);
    }
    ArrowPixelMemory memory = ModelCache.memory(VideoPartition.memoryName("cpu"), queueBytes);
    assertTrue(memory.peakBytes() > 0, "no clip went through the Arrow memory");
    assertEquals(0, memory.allocatedBytes(), memory.toString());
    // The run summary's device usage: 3 clips in passes of at most 2, reported when the task's rows ran out.
    Progress.Counters counters = settings.counters();
    assertEquals(3, counters.batchedImages().value(), "clips in forward passes");
    assertEquals(2, counters.batches().value(), "forward passes");
    assertTrue(counters.busyMillis().value() > 0, "a CPU forward pass takes milliseconds");
  }

  @Test
  void classifiedFramesGoThroughTheSharedArrowQueueWithTheHeapsResultsAndAreFreed() {
    Path model = tmp.resolve("demo-frames"); // a model of its own: its own queue and memory
    DemoCheckpoint.write(model);
    ExecutorSettings settings = settings(model, 24L << 20);
    VideoInputs.Frames frames = new VideoInputs.Frames(3, 5);
    List<Row> rows = call(new InferPartition(settings, 2, false, frames), "a.mkv");

    StructType schema = OutputSchema.of(false);
    try (ImageInference direct = ImageInference.open(model, new InferenceOptions(2, false, 2, "cpu"))) {
      List<FrameRow<ImageResult>> expected =
          new VideoFrames<>(frames.sampling(), 2, direct::runDecoded).run("a.mkv", input.resolve("a.mkv"));
      assertEquals(5, expected.size());
      assertEquals(expected.size(), rows.size());
      for (int k = 0; k < rows.size(); k++) {
        Row row = rows.get(k);
        assertEquals("ok", row.get(schema.fieldIndex("outcome")));
        assertEquals(expected.get(k).frameIndex(), row.get(schema.fieldIndex("frame_index")));
        assertArrayEquals(expected.get(k).result().embedding(), (float[]) row.get(schema.fieldIndex("embedding")),
            "frame " + expected.get(k).frameIndex());
      }
    }
    GpuAssignment gpu = GpuAssignment.choose(settings.backend(), GpuAssignment.current());
    ArrowPixelMemory memory = ModelCache.sharedIfOpen(InferPartition.modelKey(settings, 2, false, gpu)).memory();
    assertTrue(memory.peakBytes() > 0, "no frame went through the Arrow memory");
    assertEquals(0, memory.allocatedBytes(), memory.toString());
  }

  @Test
  void videoTaskWritesOneRowPerClipAndOneErrorRowForATruncatedVideo() throws IOException {
    Path output = tmp.resolve("out-video");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(args(output, "video", VIDEOMAE, "--top-k", "3")));

    List<Row> all = rows(output, "path", "clip_index");
    assertEquals(3 + 1 + 1, all.size(), "3 clips of a.mkv, 1 of B.MKV, 1 error row for cut.mkv; notes.txt skipped");
    List<Row> a = all.stream().filter(r -> r.<String>getAs("path").equals(input + "/a.mkv")).toList();
    assertClipsMatch(direct("a.mkv", VideoAttention.DENSE, ClipSampling.DEFAULTS), a);
    assertEquals(List.of(0L, 320L, 640L), a.stream().map(r -> r.<Long>getAs("start_ms")).toList());
    assertEquals(800L, (long) a.get(2).getAs("end_ms"), "the last real frame (19) ends at 800 ms");
    assertEquals(4, (int) a.get(2).getAs("frames"));
    assertEquals(true, a.get(2).getAs("padded"));
    assertEquals(3, a.get(0).getList(a.get(0).fieldIndex("top_k")).size(), "the fixture has a classifier");
    assertEquals(OutputSchema.VERSION, (int) a.get(0).getAs("schema_version"));

    Row b = all.stream().filter(r -> r.<String>getAs("path").endsWith("sub/B.MKV")).findFirst().orElseThrow();
    assertEquals(8, (int) b.getAs("frames"), "upper-case extension read as a video");

    Row cut = all.stream().filter(r -> r.<String>getAs("path").endsWith("cut.mkv")).findFirst().orElseThrow();
    assertNull(cut.getAs("clip_index"));
    assertNull(cut.getAs("embedding"));
    assertNotNull(cut.getAs("error"));
    assertEquals("decode_error", cut.getAs("outcome"));
    assertEquals("dense", cut.getAs("attention"));

    JsonNode summary = new ObjectMapper().readTree(output.resolve(RunSummary.FILE_NAME).toFile());
    assertEquals("video", summary.get("task").asText());
    assertEquals(3, summary.get("inputs_processed").asLong());
    assertEquals(5, summary.get("images_processed").asLong(), "rows: clips and error rows");
    assertEquals(1, summary.get("errors").asLong());
    assertEquals(1, summary.get("skipped_non_images").asLong());
  }

  @Test
  void modelOutputsAreWrittenWithoutAParquetDictionary() throws IOException {
    StructType schema = new StructType().add("path", DataTypes.StringType)
        .add(OutputSchema.EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 50; i++) { // repeated values: Parquet keeps a dictionary where it is allowed one
      rows.add(RowFactory.create("p" + i % 3, List.of(0.5f, 1.5f, (float) (i % 2))));
    }
    Path plain = tmp.resolve("dictionary-default");
    spark.createDataFrame(rows, schema).write().parquet(plain.toString());
    assertTrue(dictionaryEncoded(plain, "embedding.list.element"), "Parquet's default would keep a dictionary");
    Path ours = tmp.resolve("dictionary-ours");
    VicinityJob.writeParquet(spark.createDataFrame(rows, schema), SaveMode.ErrorIfExists, ours.toString());
    assertFalse(dictionaryEncoded(ours, "embedding.list.element"), "embedding written with a dictionary");
    assertTrue(dictionaryEncoded(ours, "path"), "other columns keep theirs");
  }

  /** Whether a column chunk of {@code column} (dotted path) in the output's Parquet files has a dictionary. */
  private static boolean dictionaryEncoded(Path output, String column) throws IOException {
    List<Path> files;
    try (Stream<Path> listed = Files.list(output)) {
      files = listed.filter(p -> p.toString().endsWith(".parquet")).toList();
    }
    assertFalse(files.isEmpty(), "no Parquet files in " + output);
    boolean found = false;
    for (Path f : files) {
      try (ParquetFileReader reader = ParquetFileReader.open(
          HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(f.toUri()), new Configuration()))) {
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          for (ColumnChunkMetaData chunk : block.getColumns()) {
            found |= chunk.getPath().toDotString().equals(column) && chunk.hasDictionaryPage();
          }
        }
      }
    }
    return found;
  }

  @Test
  void radialAttentionOnClipsLongerThanTheCheckpoint() {
    Path output = tmp.resolve("out-radial");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(args(output, "video", VIDEOMAE, "--clip-frames", "16",
        "--attention", "radial", "--dense-layers", "1", "--radial-sink", "--max-error-rate", "0.5")));
    VideoAttention radial = VideoAttention.radial(1, 1.0, true);
    List<Row> a = rows(output, "path", "clip_index").stream()
        .filter(r -> r.<String>getAs("path").equals(input + "/a.mkv")).toList();
    assertClipsMatch(direct("a.mkv", radial, new ClipSampling(16, 1, 0, 0, ClipSampling.Partial.PAD)), a);
    assertEquals(2, a.size(), "20 frames: one clip of 16 and one padded");
    assertEquals(true, a.get(0).getAs("positions_extended"), "16 frames > the checkpoint's 8");
    assertEquals(radial.toString(), a.get(0).getAs("attention"));
    assertTrue(a.get(0).<Double>getAs("attention_density") < 1.0);

    Path dropped = tmp.resolve("out-drop");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(args(dropped, "video", VIDEOMAE, "--clip-frames", "4",
        "--frame-stride", "2", "--clip-stride", "2", "--max-clips-per-video", "3", "--partial-clips", "drop")));
    List<Row> d = rows(dropped, "path", "clip_index").stream()
        .filter(r -> r.<String>getAs("path").equals(input + "/a.mkv")).toList();
    assertClipsMatch(direct("a.mkv", VideoAttention.DENSE, new ClipSampling(4, 2, 2, 3, ClipSampling.Partial.DROP)), d);
    assertEquals(List.of(0L, 160L, 320L), d.stream().map(r -> r.<Long>getAs("start_ms")).toList(),
        "clip starts 2 sampled frames (4 source frames) apart");
  }

  @Test
  void badClipFramesIsAUsageErrorBeforeSpark() {
    assertEquals(VicinityJob.EXIT_USAGE,
        VicinityJob.run(args(tmp.resolve("out-bad"), "video", VIDEOMAE, "--clip-frames", "7")),
        "7 is not a multiple of the tubelet size 2");
  }

  @Test
  void classifyOnAVideoGivesOneRowPerSampledFrame() throws IOException {
    Path model = tmp.resolve("demo");
    DemoCheckpoint.write(model);
    Path output = tmp.resolve("out-classify");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(args(output, "classify", model, "--frame-stride", "3",
        "--max-frames-per-video", "5", "--top-k", "2", "--glob", "a.mkv")));
    List<Row> rows = rows(output, "frame_index");
    assertEquals(5, rows.size());
    List<ImageInput> originals = new ArrayList<>();
    for (int k = 0; k < 5; k++) {
      Row row = rows.get(k);
      assertEquals(input + "/a.mkv", row.getAs("path"));
      assertEquals(3 * k, (int) row.getAs("frame_index"));
      assertEquals(3L * k * 1000 / FPS, (long) row.getAs("timestamp_ms"));
      assertEquals(48, (int) row.getAs("width"));
      assertEquals("ok", row.getAs("outcome"));
      originals.add(new ImageInput("f" + k, png(framesA.get(3 * k))));
    }
    // FFV1 is lossless: each row equals the image model on the original frame.
    try (ImageInference direct = ImageInference.open(model, new InferenceOptions(2, false, 2, "cpu"))) {
      List<ImageResult> expected = direct.run(originals);
      for (int k = 0; k < 5; k++) {
        List<Float> embedding = rows.get(k).getList(rows.get(k).fieldIndex("embedding"));
        float[] got = new float[embedding.size()];
        for (int i = 0; i < got.length; i++) {
          got[i] = embedding.get(i);
        }
        assertArrayEquals(expected.get(k).embedding(), got, 1e-5f, "frame " + 3 * k);
      }
    }
  }

  @Test
  void segmentOnAVideoGivesAMaskPerSampledFrame() {
    Path output = tmp.resolve("out-segment");
    assertEquals(VicinityJob.EXIT_OK, VicinityJob.run(args(output, "segment", SegmentPartitionTest.UPERNET.resolve("model"),
        "--max-frames-per-video", "2", "--frame-stride", "4", "--glob", "*.{mkv,MKV}", "--max-error-rate", "0.5")));
    List<Row> rows = rows(output, "path", "frame_index");
    List<Row> a = rows.stream().filter(r -> r.<String>getAs("path").equals(input + "/a.mkv")).toList();
    assertEquals(List.of(0, 4), a.stream().map(r -> r.<Integer>getAs("frame_index")).toList());
    assertEquals(List.of(0L, 160L), a.stream().map(r -> r.<Long>getAs("timestamp_ms")).toList());
    for (Row row : a) {
      Row mask = row.getAs("mask");
      assertEquals(48 * 40, io.vicinity.udfs.segment.MaskPng.decodeSamples(mask.getAs("png")).length);
      assertEquals("ok", row.getAs("outcome"));
    }
    // Decoding stops after the last frame needed, so the damage at cut.mkv's end is not seen.
    List<Row> cut = rows.stream().filter(r -> r.<String>getAs("path").endsWith("cut.mkv")).toList();
    assertEquals(List.of("ok", "ok"), cut.stream().map(r -> r.<String>getAs("outcome")).toList());
    assertEquals(2 + 2 + 2, rows.size(), "a.mkv, B.MKV and cut.mkv: 2 frames each");
  }

  private static byte[] png(byte[] rgb) throws IOException {
    BufferedImage image = new BufferedImage(48, 40, BufferedImage.TYPE_INT_RGB);
    for (int p = 0; p < 48 * 40; p++) {
      image.setRGB(p % 48, p / 48, (rgb[3 * p] & 0xFF) << 16 | (rgb[3 * p + 1] & 0xFF) << 8 | (rgb[3 * p + 2] & 0xFF));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
