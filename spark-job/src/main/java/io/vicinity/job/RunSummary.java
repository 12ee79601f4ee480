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
 * (the leading underscore makes Parquet readers ignore it).
 *
 * @param filesSeen every file found under the input
 * @param imagesProcessed image files processed: one output row each, including error rows
 * @param errors output rows with {@code error} set
 * @param skippedNonImages files skipped because their extension is not an image's
 * @param elapsedSeconds wall time from start (argument parsing) to the output written
 * @param modelName the model's name as the library reports it
 * @param backend the backend(s) the executors ran on
 * @param randomWeightsDemo true when the model is the random-weight demo checkpoint
 */
public record RunSummary(
    long filesSeen,
    long imagesProcessed,
    long errors,
    long skippedNonImages,
    double elapsedSeconds,
    String modelName,
    String backend,
    String output,
    boolean randomWeightsDemo) {

  public static final String FILE_NAME = "_vicinity_summary.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public double imagesPerSecond() {
    return elapsedSeconds > 0 ? imagesProcessed / elapsedSeconds : 0.0;
  }

  /** Snake-case keys, in the order a reader wants them. */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("files_seen", filesSeen);
    map.put("images_processed", imagesProcessed);
    map.put("errors", errors);
    map.put("skipped_non_images", skippedNonImages);
    map.put("elapsed_seconds", round(elapsedSeconds));
    map.put("images_per_second", round(imagesPerSecond()));
    map.put("model_name", modelName);
    map.put("backend", backend);
    map.put("output", output);
    map.put("random_weights_demo", randomWeightsDemo);
    return map;
  }

  public String toText() {
    StringBuilder text = new StringBuilder("Vicinity run summary\n");
    line(text, "output", output);
    line(text, "model", modelName);
    line(text, "backend", backend);
    line(text, "files seen", filesSeen);
    line(text, "images processed", imagesProcessed);
    line(text, "errors", errors);
    line(text, "skipped non-images", skippedNonImages);
    line(text, "elapsed", String.format(Locale.ROOT, "%.2f s", elapsedSeconds));
    line(text, "throughput", String.format(Locale.ROOT, "%.2f images/s", imagesPerSecond()));
    return text.toString();
  }

  /** Writes {@value #FILE_NAME} into the output directory through Hadoop (works on s3a:// too). */
  public void writeTo(String outputDir, Configuration hadoopConf) throws IOException {
    Path file = new Path(outputDir, FILE_NAME);
    FileSystem fs = file.getFileSystem(hadoopConf);
    try (OutputStream out = fs.create(file, true)) {
      out.write(JSON.writeValueAsBytes(toMap()));
    }
  }

  private static void line(StringBuilder text, String name, Object value) {
    text.append(String.format(Locale.ROOT, "  %-20s %s%n", name, value));
  }

  private static double round(double value) {
    return Math.round(value * 1000.0) / 1000.0;
  }
}
