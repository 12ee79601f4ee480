package io.vicinity.job;

import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.video.decode.FrameRow;
import io.vicinity.udfs.video.decode.FrameSampling;
import io.vicinity.udfs.video.decode.LocalVideo;
import io.vicinity.udfs.video.decode.VideoFrames;
import io.vicinity.udfs.video.decode.VideoSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.Row;

/**
 * Videos on the executors: a local file for FFmpeg (local inputs in place, s3a:// and the like copied
 * through Hadoop into the JVM's temp directory and deleted after), and the image tasks' rows for a video's
 * sampled frames ({@link #frameRows}), shared by classify and segment.
 */
final class VideoInputs {
  private VideoInputs() {}

  /**
   * Which frames of a video an image task (classify, segment) sees: --frame-stride and
   * --max-frames-per-video. Kept as numbers so the task closure serialises.
   */
  record Frames(int frameStride, int maxFrames) implements java.io.Serializable {
    static final Frames DEFAULTS = new Frames(1, 0);

    static Frames from(JobConfig config) {
      return new Frames(config.get(JobOptions.FRAME_STRIDE), config.get(JobOptions.MAX_FRAMES_PER_VIDEO));
    }

    FrameSampling sampling() {
      return new FrameSampling(frameStride, maxFrames);
    }
  }

  /** Copies through Hadoop's FileSystem with the executor's Hadoop settings (s3a credentials included). */
  static final VideoSource HADOOP = (path, target) -> {
    Configuration conf = SparkEnv.get() != null ? HadoopConfs.from(SparkEnv.get().conf()) : new Configuration();
    Path file = new Path(path);
    FileSystem fs = file.getFileSystem(conf);
    try (InputStream in = fs.open(file)) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  };

  /** The input as a local file; throws (a read error) when it cannot be fetched. */
  static LocalVideo fetch(TaskPartition.Input input) {
    String location = input.location();
    // file: URIs from the listing may hold escapes (spaces): hand LocalVideo the plain local path.
    if (location.regionMatches(true, 0, "file:", 0, 5)) {
      location = new Path(location).toUri().getPath();
    }
    return LocalVideo.fetch(location, HADOOP, null);
  }

  /**
   * {@code work} on the input's local file (deleted after when it is a copy), or {@code readError} with
   * the reason when the video cannot be fetched.
   */
  static <T> T withLocalFile(TaskPartition.Input input, Function<java.nio.file.Path, T> work,
      Function<String, T> readError) {
    LocalVideo local;
    try {
      local = fetch(input);
    } catch (RuntimeException e) {
      return readError.apply(input.path() + ": cannot read video: " + e.getMessage());
    }
    try (local) {
      return work.apply(local.file());
    }
  }

  /** The row of an image task for one frame's result, or (result null) for a video that failed. */
  interface FrameRowMaker<R> {
    Row row(R result, String error, OutputSchema.Frame frame, Outcome outcome);
  }

  /**
   * An image task on a video: frames sampled by {@code sampling}, {@code batchSize} at a time through
   * {@code model}, one row per frame; a video that cannot be read or decoded gives one error row.
   */
  static <R> List<Row> frameRows(TaskPartition.Input input, FrameSampling sampling, int batchSize,
      Function<List<ImagePipeline.DecodedImage>, List<R>> model, Function<R, String> errorOf,
      FrameRowMaker<R> rows) {
    String path = input.path();
    return withLocalFile(input,
        file -> toRows(path, new VideoFrames<>(sampling, batchSize, model).run(path, file), errorOf, rows),
        error -> List.of(rows.row(null, error, OutputSchema.Frame.NONE, Outcome.READ_ERROR)));
  }

  private static <R> List<Row> toRows(String path, List<FrameRow<R>> frames, Function<R, String> errorOf,
      FrameRowMaker<R> rows) {
    if (frames.isEmpty()) {
      return List.of(rows.row(null, path + ": no frames sampled (an empty video)", OutputSchema.Frame.NONE,
          Outcome.DECODE_ERROR));
    }
    List<Row> out = new ArrayList<>(frames.size());
    for (FrameRow<R> f : frames) {
      if (!f.ok()) {
        out.add(rows.row(null, f.error(), OutputSchema.Frame.NONE, Outcome.ofError(f.error())));
      } else {
        String error = errorOf.apply(f.result());
        out.add(rows.row(f.result(), error, new OutputSchema.Frame(f.frameIndex(), f.timestampMs()),
            Outcome.ofError(error)));
      }
    }
    return out;
  }
}
