package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.InferenceOptions;
import org.junit.jupiter.api.Test;

class JobConfigTest {
  private static final String[] REQUIRED = {
    "--input", "in", "--output", "out", "--model", "model", "--task", "classify"
  };

  private static String[] with(String... extra) {
    String[] args = new String[REQUIRED.length + extra.length];
    System.arraycopy(REQUIRED, 0, args, 0, REQUIRED.length);
    System.arraycopy(extra, 0, args, REQUIRED.length, extra.length);
    return args;
  }

  private static String usageError(String... args) {
    return assertThrows(UsageException.class, () -> JobConfig.parse(args)).getMessage();
  }

  @Test
  void requiredOptionsAndDefaults() {
    JobConfig config = JobConfig.parse(REQUIRED);
    assertEquals("in", config.get(JobOptions.INPUT));
    assertEquals("out", config.get(JobOptions.OUTPUT));
    assertEquals("model", config.get(JobOptions.MODEL));
    assertEquals(JobOptions.Task.CLASSIFY, config.get(JobOptions.TASK));
    assertEquals(5, config.get(JobOptions.TOP_K));
    assertEquals(16, config.get(JobOptions.BATCH_SIZE));
    assertFalse(config.get(JobOptions.EMIT_LOGITS));
    assertEquals(JobOptions.Backend.AUTO, config.get(JobOptions.BACKEND));
    assertEquals(0, config.get(JobOptions.PARTITIONS));
    assertEquals(JobOptions.WriteMode.ERRORIFEXISTS, config.get(JobOptions.MODE));
    assertEquals(new InferenceOptions(5, false, 16, "auto"), config.inferenceOptions());
  }

  @Test
  void everyOptionParses() {
    JobConfig config = JobConfig.parse(with(
        "--top-k", "3", "--emit-logits", "--batch-size=8", "--backend", "CPU",
        "--partitions", "4", "--mode", "overwrite", "--precision", "BF16"));
    assertEquals(new InferenceOptions(3, true, 8, "cpu", "bf16"), config.inferenceOptions());
    assertEquals(4, config.get(JobOptions.PARTITIONS));
    assertEquals(JobOptions.WriteMode.OVERWRITE, config.get(JobOptions.MODE));
  }

  @Test
  void missingRequiredOptionIsNamed() {
    assertEquals("missing required option --model DIR",
        usageError("--input", "in", "--output", "out", "--task", "classify"));
    assertTrue(usageError().startsWith("missing required option --input"));
  }

  @Test
  void badValuesNameTheOptionAndTheValue() {
    assertEquals("--top-k: expected an integer >= 0, got '-1'", usageError(with("--top-k", "-1")));
    assertEquals("--batch-size: expected an integer >= 1, got '0'", usageError(with("--batch-size", "0")));
    assertEquals("--batch-size: expected an integer >= 1, got 'many'",
        usageError(with("--batch-size", "many")));
    assertEquals("--backend: expected one of auto|cpu|cuda, got 'tpu'", usageError(with("--backend", "tpu")));
    assertEquals("--task: expected one of classify|segment|video, got 'detect'",
        usageError("--input", "i", "--output", "o", "--model", "m", "--task", "detect"));
    assertEquals("--mode: expected one of overwrite|append|incremental|errorifexists, got 'update'",
        usageError(with("--mode", "update")));
  }

  @Test
  void malformedCommandLines() {
    assertEquals("unknown option '--topk'", usageError(with("--topk", "3")));
    assertEquals("unexpected argument 'stray' (options start with --)", usageError(with("stray")));
    assertEquals("--input given more than once", usageError(with("--input", "again")));
    assertEquals("--top-k needs a value (N)", usageError(with("--top-k")));
    assertEquals("--top-k needs a value (N)", usageError(with("--top-k", "--emit-logits")));
    assertEquals("--emit-logits takes no value, got 'yes'", usageError(with("--emit-logits=yes")));
    assertEquals("--input: expected a non-empty value, got ' '",
        usageError("--input", " ", "--output", "o", "--model", "m", "--task", "classify"));
  }

  @Test
  void helpNeedsNoOtherOption() {
    assertTrue(JobConfig.parse("--help").helpRequested());
    assertFalse(JobConfig.parse(REQUIRED).helpRequested());
  }

  @Test
  void usageIsGeneratedFromEveryEntry() {
    String usage = JobOptions.usage("cmd");
    for (ConfigEntry<?> entry : JobOptions.ALL) {
      if (entry.internal()) {
        assertFalse(usage.contains(entry.key()), entry.key() + " is internal: not in the usage text");
        continue;
      }
      assertTrue(usage.contains(entry.key()), entry.key() + " missing from usage");
      assertTrue(usage.contains(entry.doc()), entry.key() + " doc missing from usage");
    }
    assertTrue(usage.contains(
        "Usage: cmd --input PATH --output DIR --model DIR --task classify|segment|video [--top-k N]"),
        usage);
    assertTrue(usage.contains("(default: 16)"), usage);
    assertTrue(usage.contains("(default: errorifexists)"), usage);
  }

  @Test
  void clusterOptionsParseAndValidate() {
    JobConfig config = JobConfig.parse("--input", "s3a://b/in", "--output", "s3a://b/out", "--model", "m",
        "--task", "classify", "--mode", "incremental", "--max-error-rate", "0.05", "--batch-bytes", "64m",
        "--max-image-pixels", "1000000", "--glob", "*.jpg", "--input-kind", "manifest");
    assertEquals(JobOptions.WriteMode.INCREMENTAL, config.get(JobOptions.MODE));
    assertEquals(0.05, config.get(JobOptions.MAX_ERROR_RATE));
    assertEquals(64L << 20, config.get(JobOptions.BATCH_BYTES));
    assertEquals(1_000_000L, config.get(JobOptions.MAX_IMAGE_PIXELS));
    assertEquals("*.jpg", config.get(JobOptions.GLOB));
    assertEquals(JobOptions.InputKind.MANIFEST, config.get(JobOptions.INPUT_KIND));
    assertEquals("path", config.get(JobOptions.MANIFEST_COLUMN));
    assertEquals(org.apache.spark.sql.SaveMode.Append, config.get(JobOptions.MODE).saveMode());

    String[] base = {"--input", "i", "--output", "o", "--model", "m", "--task", "classify"};
    UsageException rate = assertThrows(UsageException.class,
        () -> JobConfig.parse(concat(base, "--max-error-rate", "1.5")));
    assertEquals("--max-error-rate: expected a number from 0 to 1, got '1.5'", rate.getMessage());
    UsageException pixels = assertThrows(UsageException.class,
        () -> JobConfig.parse(concat(base, "--max-image-pixels", "0")));
    assertTrue(pixels.getMessage().startsWith("--max-image-pixels: expected an integer from 1 to "), pixels.getMessage());
    UsageException bytes = assertThrows(UsageException.class,
        () -> JobConfig.parse(concat(base, "--batch-bytes", "lots")));
    assertTrue(bytes.getMessage().contains("--batch-bytes") && bytes.getMessage().contains("'lots'"), bytes.getMessage());
  }

  @Test
  void effectiveValuesListEveryOptionWithSecretsRedacted() {
    JobConfig config = JobConfig.parse("--input", "s3a://AKIA:SECRET@b/in", "--output", "o", "--model", "m",
        "--task", "classify");
    java.util.Map<String, String> values = config.effectiveValues();
    assertEquals("s3a://b/in", values.get("--input"));
    assertEquals("errorifexists", values.get("--mode"));
    assertEquals(String.valueOf(256L << 20), values.get("--batch-bytes"));
    assertEquals(JobOptions.ALL.size() - 1, values.size(), "every option but --help");
    assertEquals(String.valueOf(512L << 20), values.get("--queue-bytes"));
  }

  @Test
  void videoHoldsMorePixelsByDefaultUnlessTold() {
    String[] video = {"--input", "in", "--output", "o", "--model", "m", "--task", "video"};
    JobConfig byDefault = JobConfig.parse(video);
    assertEquals(2L << 30, byDefault.get(JobOptions.QUEUE_BYTES));
    assertEquals(String.valueOf(2L << 30), byDefault.effectiveValues().get("--queue-bytes"));
    assertEquals(256L << 20, JobConfig.parse(concat(video, "--queue-bytes", "256m")).get(JobOptions.QUEUE_BYTES));
    assertEquals(512L << 20, JobConfig.parse("--input", "in", "--output", "o", "--model", "m", "--task",
        "segment").get(JobOptions.QUEUE_BYTES));
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
