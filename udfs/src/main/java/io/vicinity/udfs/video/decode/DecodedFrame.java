package io.vicinity.udfs.video.decode;

import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.image.RgbImage;

/**
 * One decoded frame.
 *
 * @param index position in decode (presentation) order, from 0
 * @param timestampMs presentation time relative to the stream's start
 * @param endMs when the frame stops being shown (timestamp + duration)
 * @param height the frame's height as decoded
 * @param width the frame's width as decoded
 * @param image the pixels of the whole frame, or of {@code window} only; null for a frame the decoder was told not
 *     to convert ({@link VideoDecoder#pixelsEvery})
 * @param window the part of the frame {@code image} holds ({@link VideoDecoder#pixelsWithin}); null: all of it
 */
public record DecodedFrame(int index, long timestampMs, long endMs, int height, int width, RgbImage image,
    ByteResample.Window window) {
  public DecodedFrame {
    int expectedHeight = window == null ? height : window.height();
    int expectedWidth = window == null ? width : window.width();
    if (image != null && (image.height() != expectedHeight || image.width() != expectedWidth)) {
      throw new IllegalArgumentException("frame " + index + ": an image of " + image.width() + "x" + image.height()
          + " for " + (window == null ? "a frame" : "a window " + window + " of a frame") + " of " + width + "x"
          + height);
    }
  }

  /** A whole frame, {@code image}'s size. */
  public DecodedFrame(int index, long timestampMs, long endMs, RgbImage image) {
    this(index, timestampMs, endMs, image.height(), image.width(), image, null);
  }
}
