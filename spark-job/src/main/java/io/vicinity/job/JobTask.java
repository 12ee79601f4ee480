package io.vicinity.job;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.segment.SegmentationInference;
import io.vicinity.udfs.video.VideoInference;
import io.vicinity.udfs.video.decode.ClipSampling;
import io.vicinity.udfs.video.decode.VideoPipeline;
import java.io.Serializable;
import java.util.Set;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the job computes, as the plan sees it: an output schema and a partition function from read files
 * ({@link ReadImageBytes#ENCODED} rows) to output rows of that schema. Each task is one implementation
 * (classify: {@link InferPartition}, segment: {@link SegmentPartition}, video: {@link VideoPartition}), all
 * on {@link TaskPartition}; listing, reading, writing, incremental runs, progress and the summary stay as
 * they are. Every task's schema ends with {@link OutputSchema#withProvenance}.
 */
public interface JobTask extends Serializable {

  /** The Parquet schema of the rows {@link #partitionFunction} emits. */
  StructType schema();

  /** Runs on the executors: each input's rows (one per image, per sampled frame or per clip), errors as rows. */
  MapPartitionsFunction<Row, Row> partitionFunction();

  /** What the driver learned by loading the model: the rows' model name, the summary's backend, the schema. */
  record DriverModel(String name, String backend, boolean hasClassifier) {}

  /** The file extensions the task reads: videos for video, images and videos for the image tasks. */
  static Set<String> extensions(JobOptions.Task task) {
    return task == JobOptions.Task.VIDEO ? InputListing.VIDEO_EXTENSIONS : InputListing.IMAGE_AND_VIDEO_EXTENSIONS;
  }

  /**
   * Loads the task's model on the driver, on the device an executor here would pick (in local mode the
   * executors share this JVM and this cached instance): validates the directory and the options that depend
   * on the model before Spark starts. {@code settings} carries no provenance or counters yet.
   */
  static DriverModel load(JobConfig config, ExecutorSettings settings) {
    Logger log = LoggerFactory.getLogger(JobTask.class);
    GpuAssignment gpu = GpuAssignment.choose(config.get(JobOptions.BACKEND), GpuAssignment.current());
    switch (config.get(JobOptions.TASK)) {
      case CLASSIFY -> {
        ImageInference model = ModelCache.get(InferPartition.modelKey(
            settings, config.get(JobOptions.TOP_K), config.get(JobOptions.EMIT_LOGITS), gpu));
        if (!model.hasClassifier()) {
          log.warn("Model {} has no classifier: top_k will be empty and logits absent", model.modelName());
        }
        return new DriverModel(model.modelName(), model.backendDescription(), model.hasClassifier());
      }
      case SEGMENT -> {
        SegmentationInference model =
            SegmentPartition.model(settings, config.get(JobOptions.MASK_SCORES), gpu.backend());
        return new DriverModel(model.modelName(), model.backendDescription(), false);
      }
      case VIDEO -> {
        VideoPartition.VideoSettings video = VideoPartition.VideoSettings.from(config);
        VideoInference model = VideoPartition.model(settings, video, config.get(JobOptions.TOP_K),
            config.get(JobOptions.EMIT_LOGITS), gpu.backend());
        ClipSampling sampling;
        try {
          sampling = new VideoPipeline(model, video.sampling(), settings.batchSize()).sampling();
        } catch (IllegalArgumentException e) {
          throw new UsageException("--clip-frames: " + e.getMessage());
        }
        if (sampling.clipFrames() > model.config().numFrames()) {
          log.warn("Clips of {} frames are longer than the {} frames {} was trained with: positions are "
              + "extended and rows say positions_extended", sampling.clipFrames(), model.config().numFrames(),
              model.modelName());
        }
        if (!model.hasClassifier() && config.get(JobOptions.EMIT_LOGITS)) {
          log.warn("Model {} has no classifier: the logits column will be null", model.modelName());
        }
        return new DriverModel(model.modelName(), gpu.backend() + " (video, attention " + model.attention() + ")",
            model.hasClassifier());
      }
      default -> throw new IllegalStateException("no task " + config.get(JobOptions.TASK));
    }
  }

  /** The task --task names. */
  static JobTask of(JobConfig config, ExecutorSettings settings, DriverModel model) {
    return switch (config.get(JobOptions.TASK)) {
      case CLASSIFY -> new InferPartition.Classify(settings, config.get(JobOptions.TOP_K),
          config.get(JobOptions.EMIT_LOGITS), VideoInputs.Frames.from(config));
      case SEGMENT -> new SegmentPartition.Segment(settings, config.get(JobOptions.MASK_SCORES),
          VideoInputs.Frames.from(config));
      case VIDEO -> new VideoPartition.Video(settings, VideoPartition.VideoSettings.from(config),
          config.get(JobOptions.TOP_K), config.get(JobOptions.EMIT_LOGITS), model.hasClassifier());
    };
  }
}
