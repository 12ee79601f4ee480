package io.vicinity.udfs.image;

import java.util.Arrays;

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
    return resizeRegion(source, width, height, filter, 0, 0, width, height);
  }

  /**
   * The {@code regionWidth} x {@code regionHeight} pixels at ({@code left}, {@code top}) of {@code resize(source,
   * width, height, filter)}, computing only those (a center crop after a resize needs a fraction of the
   * image); pixels of the region outside the resized image are 0, as a crop larger than the image pads.
   * Each output pixel is computed exactly as in the whole image.
   */
  public static RgbImage resizeRegion(RgbImage source, int width, int height, ResampleFilter filter, int left,
      int top, int regionWidth, int regionHeight) {
    if (width < 1 || height < 1 || regionWidth < 1 || regionHeight < 1) {
      throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height
          + " (region " + regionWidth + "x" + regionHeight + ")");
    }
    if (filter == ResampleFilter.NEAREST && (width != source.width() || height != source.height())) {
      return nearest(source, width, height).region(left, top, regionWidth, regionHeight);
    }
    // The part of the region inside the resized image: columns [x0, x1), rows [y0, y1).
    int x0 = Math.max(left, 0);
    int x1 = Math.min(left + regionWidth, width);
    int y0 = Math.max(top, 0);
    int y1 = Math.min(top + regionHeight, height);
    byte[] out = new byte[regionWidth * regionHeight * 3];
    if (x0 >= x1 || y0 >= y1) {
      return new RgbImage(regionWidth, regionHeight, out);
    }
    int columns = x1 - x0;
    // Rows of the horizontally resampled image the vertical pass reads (all of [y0, y1) when height stays).
    Weights vertical = height != source.height() ? weights(source.height(), height, filter) : null;
    int firstRow = vertical != null ? vertical.first()[y0] : y0;
    int lastRow = vertical != null ? vertical.first()[y1 - 1] + vertical.count()[y1 - 1] : y1;
    byte[] rows = width != source.width()
        ? horizontal(source, firstRow, lastRow, x0, x1, weights(source.width(), width, filter))
        : columns(source, firstRow, lastRow, x0, x1);
    byte[] pixels = vertical != null ? vertical(rows, columns, firstRow, y0, y1, vertical) : rows;
    int stride = columns * 3;
    for (int y = y0; y < y1; y++) {
      System.arraycopy(pixels, (y - y0) * stride, out, ((y - top) * regionWidth + (x0 - left)) * 3, stride);
    }
    return new RgbImage(regionWidth, regionHeight, out);
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

  /** Source rows [firstRow, lastRow), columns [x0, x1) of each, horizontally resampled to the output width. */
  private static byte[] horizontal(RgbImage source, int firstRow, int lastRow, int x0, int x1, Weights w) {
    byte[] in = source.rgb();
    int inStride = source.width() * 3;
    int kernelSize = w.kernelSize();
    int[] first = w.first();
    int[] count = w.count();
    int[] fixedPoint = w.fixedPoint();
    byte[] out = new byte[(lastRow - firstRow) * (x1 - x0) * 3];
    int o = 0;
    for (int y = firstRow; y < lastRow; y++) {
      int rowStart = y * inStride;
      for (int x = x0; x < x1; x++) {
        int k = x * kernelSize;
        int end = k + count[x];
        int p = rowStart + first[x] * 3;
        int r = 1 << (PRECISION_BITS - 1);
        int g = r;
        int b = r;
        for (; k < end; k++, p += 3) {
          int weight = fixedPoint[k];
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

  /** Source rows [firstRow, lastRow), columns [x0, x1) of each, as they are (the width does not change). */
  private static byte[] columns(RgbImage source, int firstRow, int lastRow, int x0, int x1) {
    int stride = (x1 - x0) * 3;
    byte[] out = new byte[(lastRow - firstRow) * stride];
    for (int y = firstRow; y < lastRow; y++) {
      System.arraycopy(source.rgb(), (y * source.width() + x0) * 3, out, (y - firstRow) * stride, stride);
    }
    return out;
  }

  /**
   * Output rows [y0, y1) from {@code in}, which holds rows from {@code rowOffset} on, {@code columns} pixels each.
   * Tap by tap over a whole row, so the inner loop runs over contiguous bytes.
   */
  private static byte[] vertical(byte[] in, int columns, int rowOffset, int y0, int y1, Weights w) {
    int stride = columns * 3;
    byte[] out = new byte[(y1 - y0) * stride];
    int[] sum = new int[stride];
    for (int y = y0; y < y1; y++) {
      Arrays.fill(sum, 1 << (PRECISION_BITS - 1));
      int k = y * w.kernelSize();
      int start = (w.first()[y] - rowOffset) * stride;
      for (int i = 0; i < w.count()[y]; i++) {
        int weight = w.fixedPoint()[k + i];
        int p = start + i * stride;
        for (int c = 0; c < stride; c++) {
          sum[c] += (in[p + c] & 0xFF) * weight;
        }
      }
      int o = (y - y0) * stride;
      for (int c = 0; c < stride; c++) {
        out[o + c] = clip8(sum[c]);
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
