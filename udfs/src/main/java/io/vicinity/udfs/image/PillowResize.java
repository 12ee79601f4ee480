package io.vicinity.udfs.image;

/**
 * Bit-exact port of Pillow's {@code Image.resize} for 8-bit RGB images (libImaging/Resample.c and,
 * for NEAREST, Geometry.c's scale-affine path). Our own Java, following the published algorithm:
 *
 * <ul>
 *   <li>separable: a horizontal pass, then a vertical pass, each only if that dimension changes;
 *   <li>when downscaling, the kernel is stretched by the scale (antialiasing);
 *   <li>per output pixel, weights are normalised to sum 1, then turned into fixed point with
 *       {@link #PRECISION_BITS} fraction bits, rounding half away from zero;
 *   <li>accumulation starts at one half (rounding) and the result is clipped to 0..255.
 * </ul>
 *
 * Pillow returns a copy when the size does not change, for every filter; so do we.
 */
public final class PillowResize {

  /** 8 bits for the result and 2 for overshoot of negative-lobe kernels, in a 32-bit int. */
  static final int PRECISION_BITS = 32 - 8 - 2;

  private PillowResize() {}

  public static RgbImage resize(RgbImage source, int width, int height, ResampleFilter filter) {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
    }
    if (width == source.width() && height == source.height()) {
      return new RgbImage(width, height, source.rgb().clone());
    }
    if (filter == ResampleFilter.NEAREST) {
      return nearest(source, width, height);
    }
    return convolve(source, width, height, filter);
  }

  /** Fixed-point weights of one pass: output i reads {@code count[i]} inputs from {@code first[i]}. */
  private record Weights(int kernelSize, int[] first, int[] count, int[] fixedPoint) {}

  /** Pillow's precompute_coeffs + normalize_coeffs_8bpc, with box = (0, inSize). */
  private static Weights weights(int inSize, int outSize, ResampleFilter filter) {
    // Pillow computes (in1 - in0) in float from the float box, then divides in double
    double scale = (double) ((float) inSize - 0f) / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = filter.support * filterScale;
    int kernelSize = (int) Math.ceil(support) * 2 + 1;
    int[] first = new int[outSize];
    int[] count = new int[outSize];
    int[] fixedPoint = new int[outSize * kernelSize];
    double[] k = new double[kernelSize];
    for (int out = 0; out < outSize; out++) {
      double center = (out + 0.5) * scale;
      double inverseScale = 1.0 / filterScale;
      int min = Math.max((int) (center - support + 0.5), 0);
      int max = Math.min((int) (center + support + 0.5), inSize) - min;
      double sum = 0.0;
      for (int x = 0; x < max; x++) {
        double w = filter.weight((x + min - center + 0.5) * inverseScale);
        k[x] = w;
        sum += w;
      }
      for (int x = 0; x < max; x++) {
        double normalised = sum != 0.0 ? k[x] / sum : k[x];
        fixedPoint[out * kernelSize + x] = normalised < 0
            ? (int) (-0.5 + normalised * (1 << PRECISION_BITS))
            : (int) (0.5 + normalised * (1 << PRECISION_BITS));
      }
      first[out] = min;
      count[out] = max;
    }
    return new Weights(kernelSize, first, count, fixedPoint);
  }

  private static RgbImage convolve(RgbImage source, int width, int height, ResampleFilter filter) {
    Weights vertical = weights(source.height(), height, filter);
    byte[] pixels = source.rgb();
    int rowOffset = 0;
    if (width != source.width()) {
      // Only the source rows that the vertical pass reads are resampled horizontally.
      int firstRow = vertical.first()[0];
      int lastRow = vertical.first()[height - 1] + vertical.count()[height - 1];
      pixels = horizontal(source, firstRow, lastRow, width, weights(source.width(), width, filter));
      rowOffset = firstRow;
    }
    if (height != source.height()) {
      pixels = vertical(pixels, width, rowOffset, height, vertical);
    }
    return new RgbImage(width, height, pixels);
  }

  private static byte[] horizontal(RgbImage source, int firstRow, int lastRow, int width, Weights w) {
    byte[] in = source.rgb();
    int inStride = source.width() * 3;
    byte[] out = new byte[(lastRow - firstRow) * width * 3];
    int o = 0;
    for (int y = firstRow; y < lastRow; y++) {
      int rowStart = y * inStride;
      for (int x = 0; x < width; x++) {
        int k = x * w.kernelSize();
        int p = rowStart + w.first()[x] * 3;
        int r = 1 << (PRECISION_BITS - 1);
        int g = r;
        int b = r;
        for (int i = 0; i < w.count()[x]; i++, p += 3) {
          int weight = w.fixedPoint()[k + i];
          r += (in[p] & 0xFF) * weight;
          g += (in[p + 1] & 0xFF) * weight;
          b += (in[p + 2] & 0xFF) * weight;
        }
        out[o++] = clip8(r);
        out[o++] = clip8(g);
        out[o++] = clip8(b);
      }
    }
    return out;
  }

  /** {@code in} holds rows starting at source row {@code rowOffset}, {@code width} pixels each. */
  private static byte[] vertical(byte[] in, int width, int rowOffset, int height, Weights w) {
    int stride = width * 3;
    byte[] out = new byte[height * stride];
    for (int y = 0; y < height; y++) {
      int k = y * w.kernelSize();
      int start = (w.first()[y] - rowOffset) * stride;
      int o = y * stride;
      for (int c = 0; c < stride; c++) {
        int sum = 1 << (PRECISION_BITS - 1);
        int p = start + c;
        for (int i = 0; i < w.count()[y]; i++, p += stride) {
          sum += (in[p] & 0xFF) * w.fixedPoint()[k + i];
        }
        out[o + c] = clip8(sum);
      }
    }
    return out;
  }

  private static byte clip8(int fixedPoint) {
    int v = fixedPoint >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /**
   * Pillow resizes with NEAREST through an affine scale: the source coordinate of output pixel i
   * is accumulated in double as scale/2 + i*scale (by repeated addition, as Pillow does) and
   * truncated; coordinates outside the source leave the pixel 0.
   */
  private static RgbImage nearest(RgbImage source, int width, int height) {
    double scaleX = (double) ((float) source.width() - 0f) / width;
    double scaleY = (double) ((float) source.height() - 0f) / height;
    int[] sourceX = new int[width];
    double xo = 0.0 + scaleX * 0.5;
    for (int x = 0; x < width; x++) {
      sourceX[x] = xo < 0.0 ? -1 : (int) xo;
      xo += scaleX;
    }
    byte[] in = source.rgb();
    byte[] out = new byte[width * height * 3];
    double yo = 0.0 + scaleY * 0.5;
    for (int y = 0; y < height; y++) {
      int sy = yo < 0.0 ? -1 : (int) yo;
      yo += scaleY;
      if (sy < 0 || sy >= source.height()) {
        continue;
      }
      for (int x = 0; x < width; x++) {
        int sx = sourceX[x];
        if (sx >= 0 && sx < source.width()) {
          int s = (sy * source.width() + sx) * 3;
          int o = (y * width + x) * 3;
          out[o] = in[s];
          out[o + 1] = in[s + 1];
          out[o + 2] = in[s + 2];
        }
      }
    }
    return new RgbImage(width, height, out);
  }
}
