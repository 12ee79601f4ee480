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

  /**
   * What the job computes ({@link JobTask#of} maps each to its implementation). Only image classification
   * (embedding + top-k) exists today.
   */
  public enum Task {
    CLASSIFY
  }

  /** Where the model runs; passed to the inference library as its lower-case name. */
  public enum Backend {
    AUTO,
    CPU,
    CUDA
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
          .doc("Image file, directory (searched recursively) or manifest; a local path or a Hadoop URI "
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
          .doc("Hugging Face model directory (config.json, weights, preprocessor_config.json); "
              + "must be readable at the same local path on every executor.")
          .required()
          .build();

  public static final ConfigEntry<Task> TASK =
      ConfigEntry.choice("--task", Task.class)
          .doc("What to compute: classify = pooled embedding plus top-k labels.")
          .required()
          .build();

  public static final ConfigEntry<Integer> TOP_K =
      ConfigEntry.integer("--top-k", "N")
          .doc("Labels kept per image in the top_k column (0: none).")
          .defaultValue(5)
          .check(n -> n >= 0, "an integer >= 0")
          .build();

  public static final ConfigEntry<Boolean> EMIT_LOGITS =
      ConfigEntry.flag("--emit-logits")
          .doc("Also write the classifier's raw scores as a logits column (absent otherwise).")
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
          .doc("Most preprocessed-pixel bytes waiting for the device per executor and device, over all "
              + "task threads (at least two batches); task threads wait when it is full.")
          .defaultValue(512L << 20)
          .check(n -> n >= 1, "a size of at least 1 byte")
          .build();

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
      List.of(INPUT, OUTPUT, MODEL, TASK, TOP_K, EMIT_LOGITS, INPUT_KIND, GLOB, MANIFEST_COLUMN, MODE,
          MAX_ERROR_RATE, BATCH_SIZE, BATCH_BYTES, QUEUE_BYTES, BATCH_LINGER_MS, BACKEND, PARTITIONS,
          MAX_IMAGE_PIXELS, MAX_FILE_BYTES, PROGRESS_INTERVAL, DEBUG_DELAY_PER_IMAGE_MS, HELP);

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
    return value instanceof Enum<?> e ? e.name().toLowerCase(java.util.Locale.ROOT) : value.toString();
  }
}
