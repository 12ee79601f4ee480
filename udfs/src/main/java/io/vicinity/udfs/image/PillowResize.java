package io.vicinity.udfs.image;

import io.vicinity.kernels.ByteResample;
import java.util.Arrays;

/**
 * Bit-exact port of Pillow's {@code Image.resize} for 8-bit RGB images (libImaging/Resample.c and,
 * for NEAREST, Geometry.c's scale-affine path). Our own Java, following the published algorithm:
 *
 * <ul>
 *   <li>separable: a horizontal pass, then a vertical pass, each only if that dimension changes;
 *   <li>when downscaling, the kernel is stretched by the scale (antialiasing);
 *   <li>per output pixel, weights are normalised to sum 1, then turned into fixed point with
 *       {@link ByteResample#PRECISION_BITS} fraction bits, rounding half away from zero;
 *   <li>accumulation starts at one half (rounding) and the result is clipped to 0..255.
 * </ul>
 *
 * The weights are computed here and the passes run as a {@link ByteResample} (which a backend can also run on
 * its device). NEAREST is a pass of one tap of weight 1 per output. Pillow returns a copy when the size does
 * not change, for every filter; so do we.
 */
public final class PillowResize {

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
    ByteResample plan = plan(source.height(), source.width(), height, width, filter, top, left, regionHeight,
        regionWidth);
    return new RgbImage(regionWidth, regionHeight, plan.apply(source.rgb(), 0));
  }

  /** {@link #resizeRegion} as a plan for images of {@code sourceHeight} x {@code sourceWidth}. */
  public static ByteResample plan(int sourceHeight, int sourceWidth, int height, int width, ResampleFilter filter,
      int top, int left, int regionHeight, int regionWidth) {
    if (width < 1 || height < 1 || regionWidth < 1 || regionHeight < 1) {
      throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height
          + " (region " + regionWidth + "x" + regionHeight + ")");
    }
    return new ByteResample(sourceHeight, sourceWidth, pass(sourceHeight, height, filter),
        pass(sourceWidth, width, filter), top, left, regionHeight, regionWidth);
  }

  private static ByteResample.Pass pass(int inSize, int outSize, ResampleFilter filter) {
    if (inSize == outSize) {
      return ByteResample.Pass.identity(outSize);
    }
    return filter == ResampleFilter.NEAREST ? nearest(inSize, outSize) : weights(inSize, outSize, filter);
  }

  /** Pillow's precompute_coeffs + normalize_coeffs_8bpc, with box = (0, inSize). */
  private static ByteResample.Pass weights(int inSize, int outSize, ResampleFilter filter) {
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
            ? (int) (-0.5 + normalised * (1 << ByteResample.PRECISION_BITS))
            : (int) (0.5 + normalised * (1 << ByteResample.PRECISION_BITS));
      }
      first[out] = min;
      count[out] = max;
    }
    return new ByteResample.Pass(kernelSize, first, count, fixedPoint);
  }

  /**
   * Pillow resizes with NEAREST through an affine scale: the source coordinate of output pixel i is
   * accumulated in double as scale/2 + i*scale (by repeated addition, as Pillow does) and truncated; a
   * coordinate outside the source leaves the pixel 0 (here: no tap).
   */
  private static ByteResample.Pass nearest(int inSize, int outSize) {
    double scale = (double) ((float) inSize - 0f) / outSize;
    int[] first = new int[outSize];
    int[] count = new int[outSize];
    int[] weights = new int[outSize];
    Arrays.fill(weights, 1 << ByteResample.PRECISION_BITS);
    double at = 0.0 + scale * 0.5;
    for (int i = 0; i < outSize; i++) {
      int source = at < 0.0 ? -1 : (int) at;
      at += scale;
      boolean inside = source >= 0 && source < inSize;
      first[i] = inside ? source : 0;
      count[i] = inside ? 1 : 0;
    }
    return new ByteResample.Pass(1, first, count, weights);
  }
}
