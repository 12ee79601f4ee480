package io.vicinity.job;

import io.vicinity.udfs.image.ImageDecoder;
import java.util.List;
import org.apache.spark.sql.SaveMode;

/**
 * Every command-line option of the job, declared once. The usage text ({@link #usage}) and every parse
 * error come from these declarations; {@link JobConfig#get} gives the typed value.
 */
public final class JobOptions {
  private JobOptions() {}

  /** What the job computes ({@link JobTask#of} maps each to its implementation). */
  public enum Task {
    /** Images (and sampled video frames): pooled embedding plus top-k labels. */
    CLASSIFY,
    /** Images (and sampled video frames): a label map at the image's size, and class areas. */
    SEGMENT,
    /** Videos: one row per clip, a VideoMAE clip embedding (plus top-k with a classifier). */
    VIDEO;

    /** True for the tasks that run an image model (on images, and on videos' sampled frames). */
    public boolean imageModel() {
      return this != VIDEO;
    }
  }

  /** The encoder's self-attention for --task video (see io.vicinity.udfs.video.VideoAttention). */
  public enum Attention {
    DENSE,
    RADIAL,
    NA3D
  }

  /** Where the model runs; passed to the inference library as its lower-case name. */
  public enum Backend {
    AUTO,
    CPU,
    CUDA
  }

  /** The GPU's activation dtype; passed to the inference library as its lower-case name. */
  public enum Precision {
    FP32,
    BF16
  }

  /** What to do when the output directory already exists. */
  public enum WriteMode {
    /** Replace the output. */
    OVERWRITE(SaveMode.Overwrite),
    /** Add a row for every input, even one that already has a row. */
    APPEND(SaveMode.Append),
    /** Add rows only for inputs whose path and modification time have no row yet. */
    INCREMENTAL(SaveMode.Append),
    /** Refuse to run when the output exists. */
    ERRORIFEXISTS(SaveMode.ErrorIfExists);

    private final SaveMode saveMode;

    WriteMode(SaveMode saveMode) {
      this.saveMode = saveMode;
    }

    public SaveMode saveMode() {
      return saveMode;
    }
  }

  /** How --input is read. */
  public enum InputKind {
    /** A file named *.csv or *.parquet is a manifest; anything else is images. */
    AUTO,
    /** An image file or a directory of images. */
    FILES,
    /** A CSV file or Parquet data with a column of image paths. */
    MANIFEST
  }

  public static final ConfigEntry<String> INPUT =
      ConfigEntry.string("--input", "PATH")
          .doc("Image or video file, directory (searched recursively) or manifest; a local path or a Hadoop URI "
              + "such as s3a://bucket/prefix.")
          .required()
          .build();

  public static final ConfigEntry<InputKind> INPUT_KIND =
      ConfigEntry.choice("--input-kind", InputKind.class)
          .doc("files, manifest, or auto: a file named *.csv or *.parquet is a manifest (a Parquet "
              + "directory needs --input-kind manifest).")
          .defaultValue(InputKind.AUTO)
          .build();

  public static final ConfigEntry<String> GLOB =
      ConfigEntry.string("--glob", "PATTERN")
          .doc("Only files matching this glob: without '/' it matches file names at any depth ('*.png'); "
              + "with '/' the path under --input ('2024-*/**.jpg'). Directory inputs only.")
          .build();

  public static final ConfigEntry<String> MANIFEST_COLUMN =
      ConfigEntry.string("--manifest-column", "NAME")
          .doc("The manifest's column of image paths (relative paths are under the manifest's directory).")
          .defaultValue("path")
          .build();

  public static final ConfigEntry<String> OUTPUT =
      ConfigEntry.string("--output", "DIR")
          .doc("Directory for the Parquet output and _vicinity_summary.json (local or s3a://).")
          .required()
          .build();

  public static final ConfigEntry<String> MODEL =
      ConfigEntry.string("--model", "DIR")
          .doc("Hugging Face model directory (config.json, weights, preprocessor_config.json): a local path "
              + "readable at the same path on every executor, or a Hadoop URI such as s3a://bucket/models/x, "
              + "copied once per machine.")
          .required()
          .build();

  public static final ConfigEntry<Task> TASK =
      ConfigEntry.choice("--task", Task.class)
          .doc("What to compute: classify = pooled embedding plus top-k labels; segment = a label-map PNG "
              + "and class areas per image; video = one row per clip of each video. classify and segment also "
              + "run on videos' sampled frames (one row per frame).")
          .required()
          .build();

  public static final ConfigEntry<Integer> TOP_K =
      ConfigEntry.integer("--top-k", "N")
          .doc("Labels kept per image or clip in the top_k column (0: none); classify and video only.")
          .defaultValue(5)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  public static final ConfigEntry<Boolean> EMIT_LOGITS =
      ConfigEntry.flag("--emit-logits")
          .doc("Also write the classifier's raw scores as a logits column (absent otherwise); "
              + "classify and video only.")
          .build();

  public static final ConfigEntry<Boolean> MASK_SCORES =
      ConfigEntry.flag("--mask-scores")
          .doc("Segment only: also write each pixel's top-1 probability as an 8-bit PNG (mask_scores column).")
          .build();

  // ---- videos: clip sampling (--task video) and frame sampling (classify/segment on videos) ----

  public static final ConfigEntry<Integer> CLIP_FRAMES =
      ConfigEntry.integer("--clip-frames", "N")
          .doc("Video only: frames per clip (0: the model's num_frames); a multiple of the model's tubelet_size. "
              + "More than num_frames runs the model beyond its trained length (rows say positions_extended).")
          .defaultValue(0)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  public static final ConfigEntry<Integer> FRAME_STRIDE =
      ConfigEntry.integer("--frame-stride", "N")
          .doc("Videos: use every N-th decoded frame (for clips, and for classify/segment frames).")
          .defaultValue(1)
          .check(n -> n >= 1, "an integer >= 1")
          .build();

  public static final ConfigEntry<Integer> CLIP_STRIDE =
      ConfigEntry.integer("--clip-stride", "N")
          .doc("Video only: sampled frames between clip starts (0: --clip-frames, i.e. back-to-back clips).")
          .defaultValue(0)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  public static final ConfigEntry<Integer> MAX_CLIPS_PER_VIDEO =
      ConfigEntry.integer("--max-clips-per-video", "N")
          .doc("Video only: at most N clips per video, from its start (0: all).")
          .defaultValue(0)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  public static final ConfigEntry<io.vicinity.udfs.video.decode.ClipSampling.Partial> PARTIAL_CLIPS =
      ConfigEntry.choice("--partial-clips", io.vicinity.udfs.video.decode.ClipSampling.Partial.class)
          .doc("Video only: a last clip the video ends too early to fill is padded with its last frame "
              + "(the row says padded and how many frames are real) or dropped.")
          .defaultValue(io.vicinity.udfs.video.decode.ClipSampling.Partial.PAD)
          .build();

  public static final ConfigEntry<Integer> MAX_FRAMES_PER_VIDEO =
      ConfigEntry.integer("--max-frames-per-video", "N")
          .doc("classify/segment on videos: at most N sampled frames per video, from its start (0: all).")
          .defaultValue(0)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  public static final ConfigEntry<Attention> ATTENTION =
      ConfigEntry.choice("--attention", Attention.class)
          .doc("Video only: the encoder's self-attention; dense reproduces the checkpoint, radial and na3d "
              + "compute fewer (query, key) pairs on long clips and change the output.")
          .defaultValue(Attention.DENSE)
          .build();

  public static final ConfigEntry<Integer> DENSE_LAYERS =
      ConfigEntry.integer("--dense-layers", "N")
          .doc("--attention radial: the first N encoder layers stay dense.")
          .defaultValue(0)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  public static final ConfigEntry<Double> RADIAL_DECAY =
      ConfigEntry.decimal("--radial-decay", "X")
          .doc("--attention radial: how fast the attention window shrinks with temporal distance.")
          .defaultValue(1.0)
          .check(x -> x > 0 && !x.isInfinite(), "a finite number > 0")
          .build();

  public static final ConfigEntry<Boolean> RADIAL_SINK =
      ConfigEntry.flag("--radial-sink")
          .doc("--attention radial: every query also attends the whole first latent frame.")
          .build();

  public static final ConfigEntry<int[]> NA3D_KERNEL =
      ConfigEntry.triple("--na3d-kernel", "T,H,W", true)
          .doc("--attention na3d: the neighbourhood per axis (odd), in latent frames and patches.")
          .defaultValue(new int[] {3, 3, 3})
          .build();

  public static final ConfigEntry<int[]> NA3D_DILATION =
      ConfigEntry.triple("--na3d-dilation", "T,H,W", false)
          .doc("--attention na3d: the dilation per axis.")
          .defaultValue(new int[] {1, 1, 1})
          .build();

  public static final ConfigEntry<Integer> BATCH_SIZE =
      ConfigEntry.integer("--batch-size", "N")
          .doc("Images per forward pass inside a task.")
          .defaultValue(16)
          .check(n -> n >= 1, "an integer >= 1")
          .build();

  public static final ConfigEntry<Backend> BACKEND =
      ConfigEntry.choice("--backend", Backend.class)
          .doc("Compute backend; auto picks CUDA when a GPU is usable, else the CPU.")
          .defaultValue(Backend.AUTO)
          .build();

  public static final ConfigEntry<Precision> PRECISION =
      ConfigEntry.choice("--precision", Precision.class)
          .doc("GPU activation dtype: fp32 matches the checkpoint to 1e-4; bf16 gives 2-3x the images per "
              + "second, outputs within about 1e-2. The CPU backend always computes fp32.")
          .defaultValue(Precision.FP32)
          .build();

  public static final ConfigEntry<Integer> PARTITIONS =
      ConfigEntry.integer("--partitions", "N")
          .doc("Spark partitions for the images (0: Spark's default parallelism); "
              + "never more than the number of images.")
          .defaultValue(0)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  public static final ConfigEntry<WriteMode> MODE =
      ConfigEntry.choice("--mode", WriteMode.class)
          .doc("If the output exists: overwrite it, append rows, add rows only for inputs whose path and "
              + "modification time have none (incremental), or refuse (errorifexists).")
          .defaultValue(WriteMode.ERRORIFEXISTS)
          .build();

  public static final ConfigEntry<Double> MAX_ERROR_RATE =
      ConfigEntry.decimal("--max-error-rate", "FRACTION")
          .doc("Exit with status 5 when more than this fraction of the processed inputs are error rows "
              + "(the output and summary are still written).")
          .defaultValue(1.0)
          .check(r -> r >= 0 && r <= 1, "a number from 0 to 1")
          .build();

  public static final ConfigEntry<Long> MAX_IMAGE_PIXELS =
      ConfigEntry.longInteger("--max-image-pixels", "N")
          .doc("Images whose header claims more pixels are error rows, refused before decoding "
              + "(Pillow's decompression-bomb limit by default).")
          .defaultValue(ImageDecoder.DEFAULT_MAX_PIXELS)
          .check(n -> n >= 1 && n <= ImageDecoder.MAX_ARRAY_PIXELS,
              "an integer from 1 to " + ImageDecoder.MAX_ARRAY_PIXELS)
          .build();

  public static final ConfigEntry<Long> MAX_FILE_BYTES =
      ConfigEntry.bytes("--max-file-bytes")
          .doc("Files larger than this are error rows, refused before reading.")
          .defaultValue(256L << 20)
          .check(n -> n >= 1 && n <= ReadImageBytes.MAX_ARRAY_BYTES, "a size from 1 byte to 2g")
          .build();

  public static final ConfigEntry<Long> BATCH_BYTES =
      ConfigEntry.bytes("--batch-bytes")
          .doc("Most preprocessed-pixel bytes in one forward pass; a batch ends at --batch-size images "
              + "or this many bytes, whichever comes first.")
          .defaultValue(256L << 20)
          .check(n -> n >= 1, "a size of at least 1 byte")
          .build();

  public static final ConfigEntry<Long> QUEUE_BYTES =
      ConfigEntry.bytes("--queue-bytes")
          .doc("Most preprocessed-pixel bytes (off-heap Arrow memory) waiting for or in the device per "
              + "executor and device, over all task threads; task threads wait when it is full. Two batches "
              + "or more let decoding overlap inference. For --task video the default is 2g: on a GPU a "
              + "pass holds its clips' decoded frames (200 MB for 8 clips at 720p).")
          .defaultValue(512L << 20)
          .check(n -> n >= 1, "a size of at least 1 byte")
          .build();

  /** --queue-bytes' default for --task video: about a pass per task thread of 16 at 640 x 360 (88 MB). */
  public static final long VIDEO_QUEUE_BYTES = 2L << 30;

  /**
   * An option's default where it depends on the task, else null (the entry's own default): video's
   * --queue-bytes is larger, since a forward pass holds all its clips' frames, decoded, until it has run.
   */
  @SuppressWarnings("unchecked")
  static <T> T taskDefault(ConfigEntry<T> entry, Task task) {
    return entry == QUEUE_BYTES && task == Task.VIDEO ? (T) Long.valueOf(VIDEO_QUEUE_BYTES) : null;
  }

  public static final ConfigEntry<Integer> BATCH_LINGER_MS =
      ConfigEntry.integer("--batch-linger-ms", "MS")
          .doc("How long a forming batch waits for images from other task threads before it runs part-full.")
          .defaultValue(20)
          .check(n -> n >= 0 && n <= 60_000, "an integer from 0 to 60000")
          .build();

  public static final ConfigEntry<Integer> PROGRESS_INTERVAL =
      ConfigEntry.integer("--progress-interval", "SECONDS")
          .doc("Seconds between progress lines in the driver log (0: none).")
          .defaultValue(10)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  /** Test-only: widens the windows in which the integration tests inject faults (kill a worker, stop S3). */
  public static final ConfigEntry<Integer> DEBUG_DELAY_PER_IMAGE_MS =
      ConfigEntry.integer("--debug-delay-per-image-ms", "MS")
          .doc("Test only: sleep this long before reading each image.")
          .defaultValue(0)
          .check(n -> n >= 0, "an integer >= 0")
          .internal()
          .build();

  public static final ConfigEntry<Boolean> HELP =
      ConfigEntry.flag("--help").doc("Print this text and exit.").build();

  /** In the order the usage text lists them. */
  public static final List<ConfigEntry<?>> ALL =
      List.of(INPUT, OUTPUT, MODEL, TASK, TOP_K, EMIT_LOGITS, MASK_SCORES, CLIP_FRAMES, FRAME_STRIDE,
          CLIP_STRIDE, MAX_CLIPS_PER_VIDEO, PARTIAL_CLIPS, MAX_FRAMES_PER_VIDEO, ATTENTION, DENSE_LAYERS,
          RADIAL_DECAY, RADIAL_SINK, NA3D_KERNEL, NA3D_DILATION, INPUT_KIND, GLOB, MANIFEST_COLUMN, MODE,
          MAX_ERROR_RATE, BATCH_SIZE, BATCH_BYTES, QUEUE_BYTES, BATCH_LINGER_MS, BACKEND, PRECISION,
          PARTITIONS,
          MAX_IMAGE_PIXELS, MAX_FILE_BYTES, PROGRESS_INTERVAL, DEBUG_DELAY_PER_IMAGE_MS, HELP);

  /** Options that only mean something for some tasks or attention modes: given elsewhere, they are an error. */
  private record Scope(ConfigEntry<?> entry, java.util.function.Predicate<JobConfig> applies, String where) {}

  private static final List<Scope> SCOPES = List.of(
      new Scope(EMIT_LOGITS, c -> c.get(TASK) != Task.SEGMENT,
          "--task classify or video (masks have no logits: too large; --mask-scores gives the top-1 probability)"),
      new Scope(MASK_SCORES, c -> c.get(TASK) == Task.SEGMENT, "--task segment"),
      new Scope(CLIP_FRAMES, c -> c.get(TASK) == Task.VIDEO, "--task video"),
      new Scope(CLIP_STRIDE, c -> c.get(TASK) == Task.VIDEO, "--task video"),
      new Scope(MAX_CLIPS_PER_VIDEO, c -> c.get(TASK) == Task.VIDEO, "--task video"),
      new Scope(PARTIAL_CLIPS, c -> c.get(TASK) == Task.VIDEO, "--task video"),
      new Scope(ATTENTION, c -> c.get(TASK) == Task.VIDEO, "--task video"),
      new Scope(MAX_FRAMES_PER_VIDEO, c -> c.get(TASK).imageModel(),
          "--task classify or segment (for --task video see --max-clips-per-video)"),
      new Scope(TOP_K, c -> c.get(TASK) != Task.SEGMENT, "--task classify or video"),
      new Scope(DENSE_LAYERS, c -> c.get(ATTENTION) == Attention.RADIAL, "--attention radial"),
      new Scope(RADIAL_DECAY, c -> c.get(ATTENTION) == Attention.RADIAL, "--attention radial"),
      new Scope(RADIAL_SINK, c -> c.get(ATTENTION) == Attention.RADIAL, "--attention radial"),
      new Scope(NA3D_KERNEL, c -> c.get(ATTENTION) == Attention.NA3D, "--attention na3d"),
      new Scope(NA3D_DILATION, c -> c.get(ATTENTION) == Attention.NA3D, "--attention na3d"));

  /** Refuses an option given where it has no effect, so a typo'd task or mode does not pass silently. */
  static void checkCombinations(JobConfig config) {
    for (Scope scope : SCOPES) {
      if (config.isSet(scope.entry()) && !scope.applies().test(config)) {
        throw new UsageException(scope.entry().key() + " applies to " + scope.where() + " only");
      }
    }
  }

  /** The usage text, generated from the declarations above. */
  public static String usage(String command) {
    List<ConfigEntry<?>> shown = ALL.stream().filter(entry -> !entry.internal()).toList();
    StringBuilder text = new StringBuilder("Usage: ").append(command);
    for (ConfigEntry<?> entry : shown) {
      String option = entry.isFlag() ? entry.key() : entry.key() + " " + entry.valueName();
      text.append(entry.required() ? " " + option : " [" + option + "]");
    }
    text.append("\n\nOptions:\n");
    for (ConfigEntry<?> entry : shown) {
      String option = entry.isFlag() ? entry.key() : entry.key() + " " + entry.valueName();
      text.append(String.format("  %-34s %s", option, entry.doc()));
      if (entry.required()) {
        text.append(" (required)");
      } else if (!entry.isFlag() && entry.defaultValue().isPresent()) {
        text.append(" (default: ").append(describe(entry.defaultValue().get())).append(')');
      }
      text.append('\n');
    }
    return text.toString();
  }

  private static String describe(Object value) {
    return ConfigEntry.text(value);
  }
}
