package io.vicinity.udfs.video.decode;

import io.vicinity.udfs.image.RgbImage;

/**
 * One decoded frame at its native size.
 *
 * @param index position in decode (presentation) order, from 0
 * @param timestampMs presentation time relative to the stream's start
 * @param endMs when the frame stops being shown (timestamp + duration)
 * @param image the pixels; null for a frame the decoder was told not to convert ({@link VideoDecoder#pixelsEvery})
 */
public record DecodedFrame(int index, long timestampMs, long endMs, RgbImage image) {}
