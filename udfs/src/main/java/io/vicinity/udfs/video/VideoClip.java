package io.vicinity.udfs.video;

import io.vicinity.kernels.ByteResample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One decoded clip, frames in time order. Either raw RGB frames (preprocessed per frame like images), or
 * model-ready float pixels (already resized and normalised, as Hugging Face's pixel_values but channels-last).
 *
 * @param id names the clip in results and errors (e.g. "video.mp4#clip3")
 * @param height the frames' height (as decoded, or model-ready)
 * @param width the frames' width
 * @param window for rgb frames, the part of each frame they hold: only what the preprocessing reads
 *     ({@link VideoInference#framesWindow}), so a decoder converts and keeps only that; null: the whole frame
 * @param rgbFrames uint8 [height, width, 3] per frame (or [window.height, window.width, 3]), as decoded (never
 *     joined into one array: a 720p clip of 16 frames would be one 44 MB copy of every pixel), or null
 * @param pixels float32 [frames, height, width, 3] model-ready, or null
 */
public record VideoClip(String id, int frames, int height, int width, ByteResample.Window window,
    List<byte[]> rgbFrames, float[] pixels) {
  public VideoClip {
    if ((rgbFrames == null) == (pixels == null)) {
      throw new IllegalArgumentException(id + ": a clip holds either rgb frames or float pixels");
    }
    if (frames < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(id + ": " + frames + " frames of " + width + "x" + height
          + " is not a clip");
    }
    if (rgbFrames != null) {
      if (rgbFrames.size() != frames) {
        throw new IllegalArgumentException(id + ": " + frames + " frames expected, got " + rgbFrames.size());
      }
      if (window != null && !window.isInside(height, width)) {
        throw new IllegalArgumentException(id + ": " + window + " is not inside frames of " + width + "x" + height);
      }
      long frameBytes = window != null ? window.bytes() : (long) height * width * 3;
      String held = window != null ? "window " + window.width() + "x" + window.height() : width + "x" + height;
      for (int f = 0; f < frames; f++) {
        byte[] frame = rgbFrames.get(f);
        if (frame == null || frame.length != frameBytes) {
          throw new IllegalArgumentException(id + ": frame " + f + " of " + held + " x 3 needs " + frameBytes
              + " bytes, got " + (frame == null ? "null" : frame.length));
        }
      }
      rgbFrames = List.copyOf(rgbFrames);
    } else {
      if (window != null) {
        throw new IllegalArgumentException(id + ": model-ready pixels are whole frames, not a window");
      }
      long expected = (long) frames * height * width * 3;
      if (pixels.length != expected) {
        throw new IllegalArgumentException(id + ": " + frames + " frames of " + width + "x" + height
            + " x 3 need " + expected + " values, got " + pixels.length);
      }
    }
  }

  /** The frames as they are (not copied), each uint8 [height, width, 3]. */
  public static VideoClip ofFrames(String id, int height, int width, List<byte[]> rgbFrames) {
    return ofFrames(id, height, width, null, rgbFrames);
  }

  /**
   * The frames as they are (not copied), each the {@code window} of a {@code height} x {@code width} frame (uint8
   * [window.height, window.width, 3]; null window: the whole frame).
   */
  public static VideoClip ofFrames(String id, int height, int width, ByteResample.Window window,
      List<byte[]> rgbFrames) {
    return new VideoClip(id, rgbFrames.size(), height, width, window, rgbFrames, null);
  }

  /** A clip from one contiguous uint8 [frames, height, width, 3] array (as in .npy fixtures), split into frames. */
  public static VideoClip ofContiguousRgb(String id, int frames, int height, int width, byte[] rgb) {
    long expected = (long) frames * height * width * 3;
    if (frames < 1 || height < 1 || width < 1 || rgb.length != expected) {
      throw new IllegalArgumentException(id + ": " + frames + " frames of " + width + "x" + height
          + " x 3 need " + expected + " bytes, got " + rgb.length);
    }
    int frameBytes = height * width * 3;
    List<byte[]> split = new ArrayList<>(frames);
    for (int f = 0; f < frames; f++) {
      split.add(Arrays.copyOfRange(rgb, f * frameBytes, (f + 1) * frameBytes));
    }
    return ofFrames(id, height, width, split);
  }

  public static VideoClip ofPixels(String id, int frames, int height, int width, float[] pixels) {
    return new VideoClip(id, frames, height, width, null, null, pixels);
  }
}
