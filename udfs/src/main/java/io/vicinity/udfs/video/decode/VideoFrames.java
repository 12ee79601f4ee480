package io.vicinity.udfs.video.decode;

import io.vicinity.udfs.ImagePipeline;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image tasks on videos (--task classify|segment): decode, sample frames ({@link FrameSampling}), hand them in
 * batches to an image model, one {@link FrameRow} per sampled frame. The model is a function so that any image
 * task fits, e.g. {@code imageInference::runDecoded}. A video that cannot be decoded gives one error row (rows
 * of frames already inferred are dropped, as in {@link VideoPipeline}); never an exception.
 */
public final class VideoFrames<R> {
  private static final Logger LOG = LoggerFactory.getLogger(VideoFrames.class);

  private final FrameSampling sampling;
  private final int batchSize;
  private final long maxFramePixels;
  private final Function<List<ImagePipeline.DecodedImage>, List<R>> model;

  /**
   * @param model results for a list of decoded frames, same order and size (ImageInference::runDecoded)
   * @param batchSize frames handed to {@code model} at a time (bounds the frames held in memory)
   */
  public VideoFrames(FrameSampling sampling, int batchSize, Function<List<ImagePipeline.DecodedImage>, List<R>> model) {
    this(sampling, batchSize, VideoDecoder.DEFAULT_MAX_FRAME_PIXELS, model);
  }

  public VideoFrames(FrameSampling sampling, int batchSize, long maxFramePixels,
      Function<List<ImagePipeline.DecodedImage>, List<R>> model) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    this.sampling = sampling;
    this.batchSize = batchSize;
    this.maxFramePixels = maxFramePixels;
    this.model = model;
  }

  /** {@code path} fetched through {@code source} when not local (see {@link LocalVideo#fetch}). */
  public List<FrameRow<R>> run(String path, VideoSource source, Path tmpDir) {
    LocalVideo local;
    try {
      local = LocalVideo.fetch(path, source, tmpDir);
    } catch (RuntimeException e) {
      return List.of(FrameRow.failedVideo(path, e.getMessage()));
    }
    try (local) {
      return run(path, local.file());
    }
  }

  /** The video's bytes, through a temporary file. */
  public List<FrameRow<R>> run(String path, byte[] bytes, Path tmpDir) {
    LocalVideo local;
    try {
      local = LocalVideo.copyOf(path, bytes, tmpDir);
    } catch (RuntimeException e) {
      return List.of(FrameRow.failedVideo(path, e.getMessage()));
    }
    try (local) {
      return run(path, local.file());
    }
  }

  /** A local file; {@code path} is what the rows (and the model's results) say. */
  public List<FrameRow<R>> run(String path, Path file) {
    List<FrameRow<R>> rows = new ArrayList<>();
    List<DecodedFrame> pending = new ArrayList<>(batchSize);
    int taken = 0;
    try (VideoDecoder decoder = VideoDecoder.open(path, file, maxFramePixels)) {
      decoder.pixelsEvery(sampling.frameStride()); // the only frames sampled
      for (DecodedFrame f = decoder.next(); f != null; f = decoder.next()) {
        if (sampling.takes(f.index(), taken)) {
          pending.add(f);
          taken++;
          if (pending.size() >= batchSize) {
            infer(path, pending, rows);
            pending.clear();
          }
        }
        if (sampling.full(taken)) {
          break; // the rest of the video is not needed
        }
      }
      infer(path, pending, rows);
    } catch (VideoDecodeException e) {
      return List.of(FrameRow.failedVideo(path, e.getMessage()));
    } catch (RuntimeException | OutOfMemoryError | UnsatisfiedLinkError e) {
      LOG.warn("{}: video failed", path, e);
      return List.of(FrameRow.failedVideo(path, path + ": cannot decode video: " + e));
    }
    return rows;
  }

  private void infer(String path, List<DecodedFrame> frames, List<FrameRow<R>> rows) {
    if (frames.isEmpty()) {
      return;
    }
    List<ImagePipeline.DecodedImage> images = new ArrayList<>(frames.size());
    for (DecodedFrame f : frames) {
      images.add(new ImagePipeline.DecodedImage(path, f.image()));
    }
    List<R> results = model.apply(images);
    if (results.size() != frames.size()) {
      throw new IllegalStateException("the image model returned " + results.size() + " results for "
          + frames.size() + " frames");
    }
    for (int i = 0; i < frames.size(); i++) {
      DecodedFrame f = frames.get(i);
      rows.add(new FrameRow<>(path, f.index(), f.timestampMs(), results.get(i), null));
    }
  }
}
