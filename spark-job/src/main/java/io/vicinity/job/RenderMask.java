package io.vicinity.job;

import io.vicinity.udfs.segment.MaskOverlay;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * scripts/render-mask.sh's row mode: finds the row for one input in the segment task's Parquet output,
 * and renders that image with the row's mask through {@link MaskOverlay}:
 *
 * <pre>RenderMask --output DIR --path INPUT_PATH --model MODEL_DIR --out OUT_PNG [--alpha A] [--frame N]</pre>
 *
 * INPUT_PATH is the row's {@code path} as written (local or a Hadoop URI; the image is read through
 * Hadoop). MODEL_DIR gives the class names. Rows of video frames are not rendered: the frame's pixels
 * are not in the output.
 */
public final class RenderMask {
  private RenderMask() {}

  public static void main(String[] args) throws IOException {
    try {
      System.exit(run(args));
    } catch (UsageException e) {
      System.err.println("render-mask: " + e.getMessage());
      System.exit(2);
    }
  }

  /** Renders and returns 0; a session that already exists (tests, notebooks) is used and left running. */
  public static int run(String[] args) throws IOException {
    String output = null;
    String path = null;
    String model = null;
    String out = null;
    String alpha = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--output" -> output = args[i + 1];
        case "--path" -> path = args[i + 1];
        case "--model" -> model = args[i + 1];
        case "--out" -> out = args[i + 1];
        case "--alpha" -> alpha = args[i + 1];
        default -> throw new UsageException("unknown option " + args[i]);
      }
    }
    if (args.length % 2 != 0 || output == null || path == null || model == null || out == null) {
      throw new UsageException(
          "usage: RenderMask --output DIR --path INPUT_PATH --model MODEL_DIR --out OUT_PNG [--alpha A]");
    }
    boolean ownSession =
        SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    SparkSession spark = ownSession
        ? SparkSession.builder().master("local[1]").appName("vicinity-render-mask")
            .config("spark.ui.enabled", "false").getOrCreate()
        : SparkSession.builder().getOrCreate();
    Path dir = Files.createTempDirectory("vicinity-render-mask");
    try {
      byte[] mask = maskOf(spark, output, path);
      Path maskFile = Files.write(dir.resolve("mask.png"), mask);
      Path image = localCopy(path, dir, spark.sparkContext().hadoopConfiguration());
      List<String> overlayArgs = new ArrayList<>(List.of(image.toString(), maskFile.toString(), model, out));
      if (alpha != null) {
        overlayArgs.addAll(List.of("--alpha", alpha));
      }
      MaskOverlay.main(overlayArgs.toArray(String[]::new));
      System.out.println("render-mask: wrote " + out);
      return 0;
    } finally {
      if (ownSession) {
        spark.stop();
      }
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** The mask PNG of the newest ok row for {@code path} (an image, not a video frame). */
  static byte[] maskOf(SparkSession spark, String output, String path) {
    Dataset<Row> rows = spark.read().parquet(output);
    if (!List.of(rows.columns()).contains(OutputSchema.MASK)) {
      throw new UsageException(output + " has no " + OutputSchema.MASK + " column: not a --task segment output");
    }
    List<Row> found = rows.where(functions.col(OutputSchema.PATH).equalTo(path))
        .orderBy(functions.col(OutputSchema.RUN_ID).desc())
        .select(OutputSchema.MASK + ".png", OutputSchema.ERROR, OutputSchema.FRAME_INDEX)
        .collectAsList();
    if (found.isEmpty()) {
      throw new UsageException("no row with path " + path + " in " + output);
    }
    Row row = found.get(0);
    if (!row.isNullAt(2)) {
      throw new UsageException(path + " is a video: its frames' pixels are not in the output");
    }
    if (row.isNullAt(0)) {
      throw new UsageException(path + " has no mask: " + row.getString(1));
    }
    return (byte[]) row.get(0);
  }

  /** The image as a local file: local paths in place, anything else copied through Hadoop. */
  private static Path localCopy(String path, Path dir, Configuration conf) throws IOException {
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(path);
    FileSystem fs = file.getFileSystem(conf);
    if ("file".equals(fs.getUri().getScheme())) {
      return Path.of(fs.makeQualified(file).toUri());
    }
    Path copy = dir.resolve("image" + path.substring(Math.max(0, path.lastIndexOf('.'))));
    try (InputStream in = fs.open(file)) {
      Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
    }
    return copy;
  }
}
