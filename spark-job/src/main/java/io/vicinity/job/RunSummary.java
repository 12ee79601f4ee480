package io.vicinity.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What one run did, printed at the end and written as {@value #FILE_NAME} beside the Parquet files
 * (the leading underscore makes Parquet readers ignore it). Counts are of this run's rows only
 * ({@code run_id}), read back from the written output, so a retried task cannot inflate them.
 *
 * @param task the --task that ran (classify, segment, video)
 * @param filesSeen every file found under the input
 * @param inputsProcessed input files (images and videos) with at least one row from this run
 * @param imagesProcessed this run's rows, error rows included: one per image, per sampled video frame (image
 *     tasks) or per clip (video); the key stays images_processed so existing readers keep working
 * @param errors this run's rows with {@code error} set
 * @param skippedNonImages files skipped because their extension is not an image's (or the glob)
 * @param skippedUnchanged inputs skipped by --mode incremental: they already had a row
 * @param outcomes this run's rows by {@code outcome}
 * @param elapsedSeconds wall time from start (argument parsing) to the output written
 * @param modelName the model's name as the library reports it
 * @param modelHash the checkpoint's fingerprint ({@link ModelFingerprint})
 * @param backend the backend(s) the executors ran on
 * @param runId this run's {@code run_id}
 * @param randomWeightsDemo true when the model is the random-weight demo checkpoint
 * @param options the job's options with their effective values, secrets redacted
 * @param spark the Spark settings of the run, secrets redacted
 * @param batches the executors' forward passes (null when none ran)
 */
public record RunSummary(
    String task,
    long filesSeen,
    long inputsProcessed,
    long imagesProcessed,
    long errors,
    long skippedNonImages,
    long skippedUnchanged,
    Map<String, Long> outcomes,
    double elapsedSeconds,
    String modelName,
    String modelHash,
    String backend,
    String output,
    String runId,
    boolean randomWeightsDemo,
    Map<String, String> options,
    Map<String, String> spark,
    Batches batches) {

  /**
   * Forward passes over all executors: how many, the images in them, and the wall time the devices were busy
   * running them (summed over devices). Busy time well below the elapsed time times the devices says the run
   * waited on reading and decoding, not on the devices.
   */
  public record Batches(long count, long images, double busySeconds) {
    public double meanSize() {
      return count > 0 ? (double) images / count : 0.0;
    }
  }

  public static final String FILE_NAME = "_vicinity_summary.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public double imagesPerSecond() {
    return elapsedSeconds > 0 ? imagesProcessed / elapsedSeconds : 0.0;
  }

  /** Snake-case keys, in the order a reader wants them. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("task", task);
    map.put("files_seen", filesSeen);
    map.put("inputs_processed", inputsProcessed);
    map.put("images_processed", imagesProcessed);
    map.put("errors", errors);
    map.put("skipped_non_images", skippedNonImages);
    map.put("skipped_unchanged", skippedUnchanged);
    map.put("outcomes", outcomes);
    map.put("elapsed_seconds", round(elapsedSeconds));
    map.put("images_per_second", round(imagesPerSecond()));
    map.put("model_name", modelName);
    map.put("model_hash", modelHash);
    map.put("backend", backend);
    map.put("output", Redaction.uri(output));
    map.put("run_id", runId);
    map.put("schema_version", OutputSchema.VERSION);
    map.put("random_weights_demo", randomWeightsDemo);
    if (batches != null) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("count", batches.count());
      b.put("images", batches.images());
      b.put("mean_size", round(batches.meanSize()));
      b.put("device_busy_seconds", round(batches.busySeconds()));
      map.put("batches", b);
    }
    map.put("options", options);
    map.put("spark", spark);
    return map;
  }

  public String toText() {
    StringBuilder text = new StringBuilder("Vicinity run summary\n");
    line(text, "output", Redaction.uri(output));
    line(text, "run id", runId);
    line(text, "model", modelName + " (" + modelHash + ")");
    line(text, "backend", backend);
    line(text, "task", task);
    line(text, "files seen", filesSeen);
    line(text, "inputs processed", inputsProcessed);
    line(text, rowsName() + " processed", imagesProcessed);
    line(text, "errors", errors);
    line(text, "outcomes", outcomes);
    line(text, "skipped non-images", skippedNonImages);
    line(text, "skipped unchanged", skippedUnchanged);
    line(text, "elapsed", String.format(Locale.ROOT, "%.2f s", elapsedSeconds));
    line(text, "throughput", String.format(Locale.ROOT, "%.2f %s/s", imagesPerSecond(), rowsName()));
    if (batches != null && batches.count() > 0) {
      line(text, "batches", String.format(Locale.ROOT, "%d of %.1f %s on average, device busy %.2f s",
          batches.count(), batches.meanSize(), rowsName(), batches.busySeconds()));
    }
    return text.toString();
  }

  /** What one row is, for the text: a clip for video, an image (or video frame) otherwise. */
  private String rowsName() {
    return "video".equals(task) ? "clips" : "images";
  }

  public String toJson() throws IOException {
    return JSON.writeValueAsString(toMap());
  }

  /** Where every run's summary is also kept, so append and incremental runs keep their history. */
  public static final String HISTORY_DIR = "_vicinity_runs";

  /**
   * Writes {@value #FILE_NAME} (the latest run) and {@value #HISTORY_DIR}/RUN_ID.json into the output
   * directory through Hadoop (works on s3a:// too).
   */
  public void writeTo(String outputDir, Configuration hadoopConf) throws IOException {
    byte[] json = JSON.writeValueAsBytes(toMap());
    for (Path file : new Path[] {
        new Path(outputDir, FILE_NAME), new Path(new Path(outputDir, HISTORY_DIR), runId + ".json")}) {
      FileSystem fs = file.getFileSystem(hadoopConf);
      try (OutputStream out = fs.create(file, true)) {
        out.write(json);
      }
    }
  }

  private static void line(StringBuilder text, String name, Object value) {
    text.append(String.format(Locale.ROOT, "  %-20s %s%n", name, value));
  }

  private static double round(double value) {
    return Math.round(value * 1000.0) / 1000.0;
  }
}
