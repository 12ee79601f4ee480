package io.vicinity.udfs.video.decode;

import io.vicinity.udfs.PixelMemory;
import io.vicinity.udfs.video.ClipResult;
import io.vicinity.udfs.video.VideoClip;
import io.vicinity.udfs.video.VideoInference;
import io.vicinity.udfs.video.VideoMaeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The video task for one video at a time: decode -> cut clips ({@link ClipSampler}) -> VideoInference ->
 * one {@link VideoClipRow} per clip. Frames stream out of the decoder; only the frames of unfinished clips
 * and at most {@code batchSize} clips (or {@link #DEFAULT_MAX_BUFFERED_BYTES} of pixels) wait for a forward
 * pass. A video that cannot be decoded gives one error row and never an exception; so does one that is found
 * truncated at its end, even though clips before the damage were already inferred (their rows are dropped:
 * a row set for a damaged video would look complete). With max-clips-per-video, decoding stops after the
 * last frame needed, so damage after it is not seen.
 *
 * <p>Thread-safe when the VideoInference is (it is): each call has its own decoder.
 */
public final class VideoPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(VideoPipeline.class);

  /** Clips held for one forward pass at most this many pixel bytes (large frames: fewer clips per pass). */
  public static final long DEFAULT_MAX_BUFFERED_BYTES = 256L << 20;

  private final VideoInference inference;
  private final ClipSampler sampler;
  private final String attention;
  private final int batchSize;
  private final long maxFramePixels;
  private final long maxBufferedBytes;
  private final PixelMemory memory;

  /** Clips as {@code sampling} says (defaults from the model), {@code batchSize} clips per forward pass. */
  public VideoPipeline(VideoInference inference, ClipSampling sampling, int batchSize) {
    this(inference, sampling, batchSize, null);
  }

  /**
   * As above, with each forward pass's preprocessed pixels in {@code memory} (off the heap, see
   * {@link VideoInference#run(List, PixelMemory)}); null: on the heap.
   */
  public VideoPipeline(VideoInference inference, ClipSampling sampling, int batchSize, PixelMemory memory) {
    this(inference, sampling, batchSize, VideoDecoder.DEFAULT_MAX_FRAME_PIXELS, DEFAULT_MAX_BUFFERED_BYTES, memory);
  }

  public VideoPipeline(VideoInference inference, ClipSampling sampling, int batchSize, long maxFramePixels,
      long maxBufferedBytes) {
    this(inference, sampling, batchSize, maxFramePixels, maxBufferedBytes, null);
  }

  private VideoPipeline(VideoInference inference, ClipSampling sampling, int batchSize, long maxFramePixels,
      long maxBufferedBytes, PixelMemory memory) {
    VideoMaeConfig config = inference.config();
    ClipSampling resolved = sampling.resolve(config.numFrames());
    if (resolved.clipFrames() % config.tubeletSize() != 0) {
      throw new IllegalArgumentException("clip-frames " + resolved.clipFrames() + " is not a multiple of the model's"
          + " tubelet_size " + config.tubeletSize());
    }
    if (batchSize < 1 || maxFramePixels < 1 || maxBufferedBytes < 1) {
      throw new IllegalArgumentException("need batchSize, maxFramePixels and maxBufferedBytes >= 1, got "
          + batchSize + ", " + maxFramePixels + ", " + maxBufferedBytes);
    }
    this.inference = inference;
    this.sampler = new ClipSampler(resolved);
    this.attention = inference.attention().toString();
    this.batchSize = batchSize;
    this.maxFramePixels = maxFramePixels;
    this.maxBufferedBytes = maxBufferedBytes;
    this.memory = memory;
  }

  /** The sampling in effect, defaults filled in. */
  public ClipSampling sampling() {
    return sampler.sampling();
  }

  /** {@code path} (s3a://..., file:..., or a local path) fetched through {@code source} when not local. */
  public List<VideoClipRow> run(String path, VideoSource source, Path tmpDir) {
    LocalVideo local;
    try {
      local = LocalVideo.fetch(path, source, tmpDir);
    } catch (RuntimeException e) {
      return List.of(VideoClipRow.failedVideo(path, attention, e.getMessage()));
    }
    try (local) {
      return run(path, local.file());
    }
  }

  /** The video's bytes (e.g. Spark's binaryFile content), through a temporary file. */
  public List<VideoClipRow> run(String path, byte[] bytes, Path tmpDir) {
    LocalVideo local;
    try {
      local = LocalVideo.copyOf(path, bytes, tmpDir);
    } catch (RuntimeException e) {
      return List.of(VideoClipRow.failedVideo(path, attention, e.getMessage()));
    }
    try (local) {
      return run(path, local.file());
    }
  }

  /** A local file; {@code path} is what the rows say. */
  public List<VideoClipRow> run(String path, Path file) {
    List<VideoClipRow> rows = new ArrayList<>();
    List<SampledClip> pending = new ArrayList<>();
    long pendingBytes = 0;
    int frames = 0;
    try (VideoDecoder decoder = VideoDecoder.open(path, file, maxFramePixels)) {
      decoder.pixelsEvery(sampler.sampling().frameStride()); // clips take only these frames
      // ... and the preprocessing reads only this part of each (a 16:9 frame's center crop: 56% of it)
      decoder.pixelsWithin(inference.framesWindow(decoder.info().height(), decoder.info().width()));
      ClipSampler.Assembler assembler = sampler.assembler();
      for (DecodedFrame f = decoder.next(); f != null; f = decoder.next()) {
        frames++;
        for (SampledClip clip : assembler.accept(f)) {
          pending.add(clip);
          pendingBytes += clip.rgbBytes();
          if (pending.size() >= batchSize || pendingBytes >= maxBufferedBytes) {
            infer(path, pending, rows);
            pending.clear();
            pendingBytes = 0;
          }
        }
        if (assembler.done()) {
          break;
        }
      }
      pending.addAll(assembler.finish());
      infer(path, pending, rows);
    } catch (VideoDecodeException e) {
      return List.of(VideoClipRow.failedVideo(path, attention, e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller (a killed task) sees it
      return List.of(VideoClipRow.failedVideo(path, attention, path + ": interrupted while waiting for memory"));
    } catch (RuntimeException | OutOfMemoryError | UnsatisfiedLinkError e) {
      // Anything else from decoding (natives missing, memory) still fails only this video.
      LOG.warn("{}: video failed", path, e);
      return List.of(VideoClipRow.failedVideo(path, attention, path + ": cannot decode video: " + e));
    }
    if (rows.isEmpty()) {
      return List.of(VideoClipRow.failedVideo(path, attention, path + ": no clips: " + frames + " frames give no "
          + "full clip of " + sampler.sampling().clipFrames() + " frames at frame-stride "
          + sampler.sampling().frameStride() + ", and partial clips are dropped"));
    }
    return rows;
  }

  private void infer(String path, List<SampledClip> clips, List<VideoClipRow> rows) throws InterruptedException {
    List<VideoClip> inputs = new ArrayList<>(clips.size());
    List<SampledClip> ok = new ArrayList<>(clips.size());
    for (SampledClip c : clips) {
      try {
        inputs.add(c.toVideoClip(path + "#clip" + c.plan().clipIndex()));
        ok.add(c);
      } catch (RuntimeException e) {
        rows.add(row(path, c, null, path + "#clip" + c.plan().clipIndex() + ": " + e.getMessage()));
      }
    }
    if (inputs.isEmpty()) {
      return;
    }
    List<ClipResult> results = inference.run(inputs, memory);
    for (int i = 0; i < ok.size(); i++) {
      ClipResult r = results.get(i);
      rows.add(row(path, ok.get(i), r, r.error()));
    }
    rows.sort((a, b) -> Integer.compare(a.clipIndex(), b.clipIndex()));
  }

  private VideoClipRow row(String path, SampledClip c, ClipResult r, String error) {
    boolean ok = r != null && r.ok();
    return new VideoClipRow(path, c.plan().clipIndex(), c.startMs(), c.endMs(), c.plan().realFrames(),
        ok ? r.embedding() : null, ok && inference.hasClassifier() ? r.topK() : null, ok ? r.logits() : null,
        attention, c.plan().padded(), ok ? r.positionsExtended() : null, ok ? r.attentionDensity() : null, error);
  }
}
