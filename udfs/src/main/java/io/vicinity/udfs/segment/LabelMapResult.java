package io.vicinity.udfs.segment;

/**
 * The segmentation of one image before its PNGs are encoded: the label map at the image's own size (with each
 * pixel's probability when asked for), or an error. What a forward pass's thread hands back, so that the PNG
 * encoding ({@link SegmentationInference#encode}, milliseconds an image) runs on the caller's threads instead.
 *
 * @param width the image's own width, null when it could not be decoded
 * @param height the image's own height, null when it could not be decoded
 * @param map the label map; null when {@code error} is set
 */
public record LabelMapResult(String path, Integer width, Integer height, LabelMap map, String error) {

  static LabelMapResult failed(String path, Integer width, Integer height, String error) {
    return new LabelMapResult(path, width, height, null, error);
  }
}
