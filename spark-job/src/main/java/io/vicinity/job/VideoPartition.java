package io.vicinity.job;

import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.video.VideoAttention;
import io.vicinity.udfs.video.VideoInference;
import io.vicinity.udfs.video.decode.ClipSampling;
import io.vicinity.udfs.video.decode.VideoClipRow;
import io.vicinity.udfs.video.decode.VideoPipeline;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Partition function of the video task: each video is copied to a local file when it is not one, decoded,
 * cut into clips and run through the executor's VideoMAE model on the task thread, one row per clip; each
 * forward pass's preprocessed clips are written into one Arrow allocation ({@link ArrowPixelMemory},
 * bounded by --queue-bytes) that the backend reads in place. A video that cannot be read or decoded
 * (truncated, not a video) gives one error row and the task carries on.
 */
final class VideoPartition extends TaskPartition {

  /** The video {@link JobTask}; {@code withTopK} when the checkpoint has a classifier. */
  record Video(ExecutorSettings settings, VideoSettings video, int topK, boolean emitLogits, boolean withTopK)
      implements JobTask {
    @Override
    public StructType schema() {
      return OutputSchema.videoSchema(withTopK, emitLogits);
    }

    @Override
    public VideoPartition partitionFunction() {
      return new VideoPartition(this);
    }
  }

  /** The video options, as numbers and enums so the closure serialises (the library's records do not). */
  record VideoSettings(int clipFrames, int frameStride, int clipStride, int maxClips, ClipSampling.Partial partial,
      JobOptions.Attention attention, int denseLayers, double radialDecay, boolean radialSink, int[] na3dKernel,
      int[] na3dDilation) implements Serializable {

    static VideoSettings from(JobConfig c) {
      return new VideoSettings(c.get(JobOptions.CLIP_FRAMES), c.get(JobOptions.FRAME_STRIDE),
          c.get(JobOptions.CLIP_STRIDE), c.get(JobOptions.MAX_CLIPS_PER_VIDEO), c.get(JobOptions.PARTIAL_CLIPS),
          c.get(JobOptions.ATTENTION), c.get(JobOptions.DENSE_LAYERS), c.get(JobOptions.RADIAL_DECAY),
          c.get(JobOptions.RADIAL_SINK), c.get(JobOptions.NA3D_KERNEL), c.get(JobOptions.NA3D_DILATION));
    }

    ClipSampling sampling() {
      return new ClipSampling(clipFrames, frameStride, clipStride, maxClips, partial);
    }

    VideoAttention videoAttention() {
      return switch (attention) {
        case DENSE -> VideoAttention.DENSE;
        case RADIAL -> VideoAttention.radial(denseLayers, radialDecay, radialSink);
        case NA3D -> VideoAttention.neighborhood3d(na3dKernel, na3dDilation);
      };
    }
  }

  /** What makes two loaded video models different; the attention by its description (arrays inside). */
  record Key(String modelDir, InferenceOptions options, String attention) {}

  private final Video task;

  VideoPartition(Video task) {
    super(task.settings());
    this.task = task;
  }

  /** This executor's video model for {@code backend} ("cpu" or "cuda"), loaded once per options. */
  static VideoInference model(ExecutorSettings settings, VideoSettings video, int topK, boolean emitLogits,
      String backend) {
    VideoAttention attention = video.videoAttention();
    Key key = new Key(settings.modelDir(), new InferenceOptions(topK, emitLogits, settings.batchSize(), backend,
        settings.precision()),
        attention.toString());
    return ModelCache.get(key,
        k -> VideoInference.open(ModelDirectory.local(k.modelDir()), k.options(), attention));
  }

  /** The name of the executor's Arrow memory for clips on {@code backend} ({@link ModelCache#memory}). */
  static String memoryName(String backend) {
    return "vicinity-video-" + backend + "-pixels";
  }

  @Override
  protected int window() {
    return 1; // each video runs to completion on the task thread
  }

  @Override
  protected Row errorRow(String path, long modified, String error, Outcome outcome) {
    return OutputSchema.videoRow(path, VideoClipRow.failedVideo(path, task.video().videoAttention().toString(), error),
        task.withTopK(), task.emitLogits(), outcome, modified, settings.provenance());
  }

  @Override
  protected Handler open(GpuAssignment gpu) {
    defaultDeviceOnly(gpu, "video");
    VideoInference model = model(settings, task.video(), task.topK(), task.emitLogits(), gpu.backend());
    // Each forward pass's clip pixels go off the heap, bounded by --queue-bytes as the image tasks' are.
    ArrowPixelMemory memory = ModelCache.memory(memoryName(gpu.backend()), settings.queueBytes());
    VideoPipeline pipeline = new VideoPipeline(model, task.video().sampling(), settings.batchSize(), memory);
    return new Handler() {
      @Override
      public Pending submit(Input in) {
        return Pending.done(in.path(), VideoInputs.withLocalFile(in,
            file -> rows(in, pipeline.run(in.path(), file)),
            error -> List.of(errorRow(in.path(), in.modified(), error, Outcome.READ_ERROR))));
      }

      @Override
      public void reportUsage(Progress.Counters counters) {
        counters.add(model.usage().sinceLastReport());
      }

      @Override
      public String device() {
        // VideoInference does not describe its backend; the assignment says where it runs.
        return model.modelName() + " (video, attention " + model.attention() + ") on " + gpu.backend()
            + (gpu.backend().equals("cuda") ? ":" + gpu.device() : "");
      }
    };
  }

  private List<Row> rows(Input in, List<VideoClipRow> clips) {
    List<Row> rows = new ArrayList<>(clips.size());
    for (VideoClipRow clip : clips) {
      rows.add(OutputSchema.videoRow(in.path(), clip, task.withTopK(), task.emitLogits(),
          Outcome.ofError(clip.error()), in.modified(), settings.provenance()));
    }
    return rows;
  }
}
