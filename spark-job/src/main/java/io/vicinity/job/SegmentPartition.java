package io.vicinity.job;

import io.vicinity.udfs.segment.LabelMapResult;
import io.vicinity.udfs.segment.SegmentationInference;
import io.vicinity.udfs.segment.SegmentationOptions;
import io.vicinity.udfs.segment.SegmentationResult;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Partition function of the segment task: as classify ({@link InferPartition}), each image is decoded on
 * the task thread into the executor's Arrow pixel memory and handed to the shared {@link BatchQueue} of the
 * segmentation model, so the task threads share full batches; a video's sampled frames take the same path,
 * awaited on the task thread. One row per image or frame, with the label map as a PNG at the image's own size.
 */
final class SegmentPartition extends TaskPartition {
  /** The segment {@link JobTask}. */
  record Segment(ExecutorSettings settings, boolean maskScores, VideoInputs.Frames frames) implements JobTask {
    @Override
    public StructType schema() {
      return OutputSchema.segmentSchema(maskScores);
    }

    @Override
    public SegmentPartition partitionFunction() {
      return new SegmentPartition(settings, maskScores, frames);
    }
  }

  /** What makes two loaded segmentation models different (see {@link ModelCache}). */
  record Key(String modelDir, SegmentationOptions options) {}

  private final boolean maskScores;
  private final VideoInputs.Frames frames;

  SegmentPartition(ExecutorSettings settings, boolean maskScores, VideoInputs.Frames frames) {
    super(settings);
    this.maskScores = maskScores;
    this.frames = frames;
  }

  /** The cache key of the segmentation model for {@code backend} ("cpu" or "cuda"). */
  static Key modelKey(ExecutorSettings settings, boolean maskScores, String backend) {
    return new Key(settings.modelDir(), new SegmentationOptions(settings.batchSize(), backend, maskScores,
        settings.precision()));
  }

  private static SegmentationInference load(Key key) {
    return SegmentationInference.open(ModelDirectory.local(key.modelDir()), key.options());
  }

  /** This executor's segmentation model for {@code backend} ("cpu" or "cuda"), loaded once. */
  static SegmentationInference model(ExecutorSettings settings, boolean maskScores, String backend) {
    return ModelCache.get(modelKey(settings, maskScores, backend), SegmentPartition::load);
  }

  @Override
  protected int window() {
    return queuedWindow();
  }

  @Override
  protected Row errorRow(String path, long modified, String error, Outcome outcome) {
    return OutputSchema.segmentRow(path, null, error, maskScores, OutputSchema.Frame.NONE, outcome, modified,
        settings.provenance());
  }

  private Row row(Input in, SegmentationResult result, OutputSchema.Frame frame) {
    return OutputSchema.segmentRow(in.path(), result, result.error(), maskScores, frame,
        Outcome.ofError(result.error()), in.modified(), settings.provenance());
  }

  @Override
  protected Handler open(GpuAssignment gpu) {
    defaultDeviceOnly(gpu, "segmentation");
    Key key = modelKey(settings, maskScores, gpu.backend());
    // The model takes no device ordinal yet, so one queue per backend (not per device).
    ModelCache.Shared<SegmentationInference, LabelMapResult> shared = ModelCache.shared(key,
        "vicinity-segment-batches-" + gpu.backend(), settings.batchSize(), settings.queueLimits(),
        SegmentPartition::load, SegmentationInference::infer);
    SegmentationInference model = shared.model();
    // The batch worker hands back label maps; their PNGs are encoded here, on the task threads (a 512 x 512
    // mask takes milliseconds, which on the worker would leave the GPU waiting).
    return queuedImageHandler(shared, model::decode, model::preprocess, LabelMapResult::error, frames,
        (in, r, frame) -> row(in, model.encode(r), frame), model.backendDescription());
  }
}
