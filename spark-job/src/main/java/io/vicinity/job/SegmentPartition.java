package io.vicinity.job;

import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.segment.SegmentationInference;
import io.vicinity.udfs.segment.SegmentationOptions;
import io.vicinity.udfs.segment.SegmentationResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Partition function of the segment task: images are segmented in batches of --batch-size formed on the
 * task thread (the executor's one model serialises the forward passes of all task threads), a video's
 * sampled frames likewise, one row per image or frame with the label map as a PNG at the image's own size.
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

  /** This executor's segmentation model for {@code backend} ("cpu" or "cuda"), loaded once. */
  static SegmentationInference model(ExecutorSettings settings, boolean maskScores, String backend) {
    Key key = new Key(settings.modelDir(), new SegmentationOptions(settings.batchSize(), backend, maskScores));
    return ModelCache.get(key, k -> SegmentationInference.open(Path.of(k.modelDir()), k.options()));
  }

  @Override
  protected int window() {
    return settings.batchSize();
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
    SegmentationInference model = model(settings, maskScores, gpu.backend());
    return new Handler() {
      private final List<ImageInput> chunk = new ArrayList<>();
      private final List<CompletableFuture<SegmentationResult>> results = new ArrayList<>();

      @Override
      public Pending submit(Input in) {
        if (in.video()) {
          return Pending.done(in.path(), VideoInputs.frameRows(in, frames.sampling(), settings.batchSize(),
              model::runDecoded, SegmentationResult::error,
              (result, error, frame, outcome) -> result == null
                  ? errorRow(in.path(), in.modified(), error, outcome) : row(in, result, frame)));
        }
        CompletableFuture<SegmentationResult> result = new CompletableFuture<>();
        chunk.add(new ImageInput(in.path(), in.bytes()));
        results.add(result);
        if (chunk.size() >= settings.batchSize()) {
          flush();
        }
        return Pending.of(in.path(), result, r -> List.of(row(in, r, OutputSchema.Frame.NONE)));
      }

      @Override
      public void flush() {
        if (chunk.isEmpty()) {
          return;
        }
        try {
          List<SegmentationResult> out = model.run(chunk);
          for (int i = 0; i < out.size(); i++) {
            results.get(i).complete(out.get(i));
          }
        } catch (RuntimeException e) {
          results.forEach(r -> r.completeExceptionally(e));
        } finally {
          chunk.clear();
          results.clear();
        }
      }

      @Override
      public String device() {
        return model.backendDescription();
      }
    };
  }
}
