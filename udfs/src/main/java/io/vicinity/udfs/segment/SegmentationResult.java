package io.vicinity.udfs.segment;

import java.util.Map;

/**
 * The segmentation of one input image. When {@code error} is non-null the image could not be processed
 * (the message names the file and the reason) and the mask fields are null; width/height are null when the
 * image could not even be decoded.
 *
 * @param width the image's own width, which is also the mask's
 * @param height the image's own height, which is also the mask's
 * @param maskPng the label map as a grayscale PNG whose samples are class indexes (8-bit for up to 256
 *     classes, else 16-bit; see {@link MaskPng})
 * @param classAreas label name -> fraction of the image's pixels, only labels present, in class order
 * @param scoresPng each pixel's top-1 probability * 255 as an 8-bit PNG, only when asked for
 */
public record SegmentationResult(
    String path,
    Integer width,
    Integer height,
    byte[] maskPng,
    Map<String, Float> classAreas,
    byte[] scoresPng,
    String error) {

  public static SegmentationResult failed(String path, Integer width, Integer height, String error) {
    return new SegmentationResult(path, width, height, null, null, null, error);
  }

  public boolean ok() {
    return error == null;
  }
}
