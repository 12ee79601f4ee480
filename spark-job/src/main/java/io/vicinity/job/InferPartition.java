package io.vicinity.job;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Partition function of the classify task: decodes each read image on the task thread and hands the
 * decoded image to the executor's shared {@link BatchQueue}, keeping up to two batches of this task's
 * images in flight, so decoding the next batch overlaps the forward pass of the current one and the
 * device gets full batches from all task threads together. Decoded pixels wait off the heap in Arrow
 * vectors whose allocator bounds them to {@code --queue-bytes} ({@link ArrowPixelMemory}). A video's
 * sampled frames take the same path (Arrow memory, shared batches), awaited on the task thread, one row
 * per frame. Rows come out in input order; unreadable files and bad images become error rows
 * ({@link TaskPartition}).
 */
final class InferPartition extends TaskPartition {

  /** The classify {@link JobTask}. */
  record Classify(ExecutorSettings settings, int topK, boolean emitLogits, VideoInputs.Frames frames)
      implements JobTask {
    @Override
    public StructType schema() {
      return OutputSchema.of(emitLogits);
    }

    @Override
    public InferPartition partitionFunction() {
      return new InferPartition(settings, topK, emitLogits, frames);
    }
  }

  private final int topK;
  private final boolean emitLogits;
  private final VideoInputs.Frames frames;

  InferPartition(ExecutorSettings settings, int topK, boolean emitLogits) {
    this(settings, topK, emitLogits, VideoInputs.Frames.DEFAULTS);
  }

  InferPartition(ExecutorSettings settings, int topK, boolean emitLogits, VideoInputs.Frames frames) {
    super(settings);
    this.topK = topK;
    this.emitLogits = emitLogits;
    this.frames = frames;
  }

  /** The cache key of the classify model for the device this task runs on. */
  static ModelCache.Key modelKey(ExecutorSettings settings, int topK, boolean emitLogits, GpuAssignment gpu) {
    return new ModelCache.Key(settings.modelDir(),
        new InferenceOptions(topK, emitLogits, settings.batchSize(), gpu.backend(), settings.precision()),
        gpu.device(), settings.maxImagePixels());
  }

  @Override
  protected int window() {
    return queuedWindow();
  }

  @Override
  protected Row errorRow(String path, long modified, String error, Outcome outcome) {
    return OutputSchema.classifyRow(path, null, error, emitLogits, OutputSchema.Frame.NONE, outcome, modified,
        settings.provenance());
  }

  private Row row(Input in, ImageResult result, OutputSchema.Frame frame) {
    return OutputSchema.classifyRow(in.path(), result, result.error(), emitLogits, frame,
        Outcome.ofError(result.error()), in.modified(), settings.provenance());
  }

  @Override
  protected Handler open(GpuAssignment gpu) {
    ModelCache.Shared<ImageInference, ImageResult> shared =
        ModelCache.shared(modelKey(settings, topK, emitLogits, gpu), settings.queueLimits());
    ImageInference model = shared.model();
    return queuedImageHandler(shared, model::decode, model::preprocess, ImageResult::error, frames, this::row,
        model.backendDescription());
  }
}
