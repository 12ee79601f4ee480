package io.vicinity.job;

import java.util.List;
import org.apache.spark.sql.SaveMode;

/**
 * Every command-line option of the job, declared once. The usage text ({@link #usage}) and every parse
 * error come from these declarations; {@link JobConfig#get} gives the typed value.
 */
public final class JobOptions {
  private JobOptions() {}

  /** What the job computes. Only image classification (embedding + top-k) exists today. */
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
    OVERWRITE(SaveMode.Overwrite),
    ERRORIFEXISTS(SaveMode.ErrorIfExists);

    private final SaveMode saveMode;

    WriteMode(SaveMode saveMode) {
      this.saveMode = saveMode;
    }

    public SaveMode saveMode() {
      return saveMode;
    }
  }

  public static final ConfigEntry<String> INPUT =
      ConfigEntry.string("--input", "PATH")
          .doc("Image file or directory, searched recursively (local path or Hadoop URI such as s3a://).")
          .required()
          .build();

  public static final ConfigEntry<String> OUTPUT =
      ConfigEntry.string("--output", "DIR")
          .doc("Directory for the Parquet output and _vicinity_summary.json.")
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
          .doc("What to do if the output directory exists.")
          .defaultValue(WriteMode.ERRORIFEXISTS)
          .build();

  public static final ConfigEntry<Boolean> HELP =
      ConfigEntry.flag("--help").doc("Print this text and exit.").build();

  /** In the order the usage text lists them. */
  public static final List<ConfigEntry<?>> ALL =
      List.of(INPUT, OUTPUT, MODEL, TASK, TOP_K, EMIT_LOGITS, BATCH_SIZE, BACKEND, PARTITIONS, MODE, HELP);

  /** The usage text, generated from the declarations above. */
  public static String usage(String command) {
    StringBuilder text = new StringBuilder("Usage: ").append(command);
    for (ConfigEntry<?> entry : ALL) {
      String option = entry.isFlag() ? entry.key() : entry.key() + " " + entry.valueName();
      text.append(entry.required() ? " " + option : " [" + option + "]");
    }
    text.append("\n\nOptions:\n");
    for (ConfigEntry<?> entry : ALL) {
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
