package io.vicinity.udfs.image;

/**
 * An 8-bit RGB image: {@code rgb} holds {@code height} rows of {@code width} pixels, each pixel three
 * bytes R, G, B (interleaved HWC, row-major), the layout of {@code numpy.asarray(pil_image)}.
 */
public record RgbImage(int width, int height, byte[] rgb) {

  public RgbImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
    }
    if (rgb == null || rgb.length != (long) width * height * 3) {
      throw new IllegalArgumentException("expected " + (long) width * height * 3 + " bytes for a "
          + width + "x" + height + " RGB image, got " + (rgb == null ? "null" : rgb.length));
    }
  }

  /** Channel {@code c} (0 R, 1 G, 2 B) of pixel (x, y) as 0..255. */
  public int sample(int x, int y, int c) {
    return rgb[(y * width + x) * 3 + c] & 0xFF;
  }

  /**
   * The {@code regionWidth} x {@code regionHeight} pixels at ({@code left}, {@code top}), which may reach
   * outside the image: those pixels are 0 (a center crop larger than the image pads with zeros).
   */
  public RgbImage region(int left, int top, int regionWidth, int regionHeight) {
    byte[] out = new byte[regionWidth * regionHeight * 3];
    int x0 = Math.max(left, 0);
    int x1 = Math.min(left + regionWidth, width);
    for (int y = Math.max(top, 0); y < Math.min(top + regionHeight, height) && x0 < x1; y++) {
      System.arraycopy(rgb, (y * width + x0) * 3, out, ((y - top) * regionWidth + x0 - left) * 3, (x1 - x0) * 3);
    }
    return new RgbImage(regionWidth, regionHeight, out);
  }

  @Override
  public String toString() {
    return "RgbImage[" + width + "x" + height + "]";
  }
}
