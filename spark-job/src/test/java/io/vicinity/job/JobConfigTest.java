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
        "--partitions", "4", "--mode", "overwrite"));
    assertEquals(new InferenceOptions(3, true, 8, "cpu"), config.inferenceOptions());
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
    assertEquals("--task: expected one of classify, got 'segment'",
        usageError("--input", "i", "--output", "o", "--model", "m", "--task", "segment"));
    assertEquals("--mode: expected one of overwrite|errorifexists, got 'append'",
        usageError(with("--mode", "append")));
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
      assertTrue(usage.contains(entry.key()), entry.key() + " missing from usage");
      assertTrue(usage.contains(entry.doc()), entry.key() + " doc missing from usage");
    }
    assertTrue(usage.contains("Usage: cmd --input PATH --output DIR --model DIR --task classify [--top-k N]"),
        usage);
    assertTrue(usage.contains("(default: 16)"), usage);
    assertTrue(usage.contains("(default: errorifexists)"), usage);
  }
}
