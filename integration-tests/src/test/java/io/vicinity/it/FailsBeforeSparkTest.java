package io.vicinity.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.job.VicinityJob;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mistakes the driver must catch before Spark starts: each run is a separate JVM (the real exit code),
 * with the project's log4j2 config so our "Starting Spark" line would show if Spark were reached.
 */
class FailsBeforeSparkTest {
  private static final String SPARK_STARTED = "Starting Spark";

  @TempDir static Path tmp;
  private static Path input;
  private static Path goodModel;

  @BeforeAll
  static void setUp() throws IOException {
    input = Files.createDirectories(tmp.resolve("images"));
    TestImages.writeTo(input);
    goodModel = tmp.resolve("demo-model");
    DemoCheckpoint.write(goodModel);
  }

  /** Exit code and everything the process printed. */
  private record Outcome(int exitCode, String output) {}

  private static Outcome runJob(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dlog4j2.configurationFile=" + Path.of("..", "conf", "log4j2.properties").toAbsolutePath(),
        "-Dspark.master=local[1]",
        "-cp", System.getProperty("java.class.path"),
        VicinityJob.class.getName()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "job did not exit");
    return new Outcome(process.exitValue(), output);
  }

  private static String[] args(Path model, Path inputPath, Path output) {
    return new String[] {"--input", inputPath.toString(), "--output", output.toString(),
        "--model", model.toString(), "--task", "classify"};
  }

  private static void assertStoppedEarly(Outcome outcome, int exitCode, String expectedMessage, Path output) {
    assertEquals(exitCode, outcome.exitCode(), outcome.output());
    assertTrue(outcome.output().contains(expectedMessage),
        "expected '" + expectedMessage + "' in:\n" + outcome.output());
    assertFalse(outcome.output().contains(SPARK_STARTED), "Spark was started:\n" + outcome.output());
    assertFalse(Files.exists(output), "output must not be created");
  }

  @Test
  void missingModelDirectory() throws Exception {
    Path missing = tmp.resolve("no-such-model");
    Path output = tmp.resolve("out-missing-model");
    assertStoppedEarly(runJob(args(missing, input, output)), VicinityJob.EXIT_BAD_MODEL,
        "bad model: model directory not found: " + missing, output);
  }

  @Test
  void modelDirectoryWithoutWeights() throws Exception {
    Path broken = Files.createDirectories(tmp.resolve("config-only-model"));
    Files.copy(goodModel.resolve("config.json"), broken.resolve("config.json"));
    Files.copy(goodModel.resolve("preprocessor_config.json"), broken.resolve("preprocessor_config.json"));
    Path output = tmp.resolve("out-no-weights");
    Outcome outcome = runJob(args(broken, input, output));
    assertStoppedEarly(outcome, VicinityJob.EXIT_BAD_MODEL, "bad model: ", output);
    assertTrue(outcome.output().contains(broken.getFileName().toString()),
        "message should name the directory:\n" + outcome.output());
  }

  @Test
  void missingInput() throws Exception {
    Path missing = tmp.resolve("no-such-images");
    Path output = tmp.resolve("out-missing-input");
    assertStoppedEarly(runJob(args(goodModel, missing, output)), VicinityJob.EXIT_MISSING_INPUT,
        "input not found: " + missing, output);
  }

  @Test
  void usageError() throws Exception {
    Path output = tmp.resolve("out-usage");
    Outcome outcome = runJob("--input", input.toString(), "--output", output.toString(),
        "--model", goodModel.toString(), "--task", "classify", "--batch-size", "0");
    assertStoppedEarly(outcome, VicinityJob.EXIT_USAGE, "--batch-size: expected an integer >= 1, got '0'",
        output);
  }
}
