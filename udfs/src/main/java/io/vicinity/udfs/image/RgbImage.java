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

  @Override
  public String toString() {
    return "RgbImage[" + width + "x" + height + "]";
  }
}
