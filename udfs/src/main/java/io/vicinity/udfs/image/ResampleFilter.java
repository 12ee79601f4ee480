package io.vicinity.udfs.image;

/**
 * Pillow's resampling filters with their {@code Image.Resampling} codes (the {@code resample} value
 * in preprocessor_config.json). Kernels and supports follow Pillow's Resample.c; NEAREST has no
 * kernel because Pillow resizes with it through a different code path.
 */
public enum ResampleFilter {
  NEAREST(0, 0.0),
  LANCZOS(1, 3.0),
  BILINEAR(2, 1.0),
  BICUBIC(3, 2.0),
  BOX(4, 0.5),
  HAMMING(5, 1.0);

  private static final double BICUBIC_A = -0.5;

  /** The {@code PIL.Image.Resampling} value. */
  public final int pillowCode;
  /** Half-width of the kernel at scale 1, in source pixels. */
  final double support;

  ResampleFilter(int pillowCode, double support) {
    this.pillowCode = pillowCode;
    this.support = support;
  }

  public static ResampleFilter fromPillowCode(int code) {
    for (ResampleFilter filter : values()) {
      if (filter.pillowCode == code) {
        return filter;
      }
    }
    throw new IllegalArgumentException("unknown Pillow resampling code " + code
        + " (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)");
  }

  /** Kernel weight at distance x; same expressions and evaluation order as Pillow's C. */
  double weight(double x) {
    switch (this) {
      case BOX:
        return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
      case BILINEAR:
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
      case HAMMING: {
        x = Math.abs(x);
        if (x == 0.0) {
          return 1.0;
        }
        if (x >= 1.0) {
          return 0.0;
        }
        x = x * Math.PI;
        // Pillow's constants are C floats (0.54f, 0.46f) widened to double
        return StrictMath.sin(x) / x * ((double) 0.54f + (double) 0.46f * StrictMath.cos(x));
      }
      case BICUBIC:
        x = Math.abs(x);
        if (x < 1.0) {
          return ((BICUBIC_A + 2.0) * x - (BICUBIC_A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
          return (((x - 5) * x + 8) * x - 4) * BICUBIC_A;
        }
        return 0.0;
      case LANCZOS:
        return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
      default:
        throw new IllegalStateException(this + " has no convolution kernel");
    }
  }

  private static double sinc(double x) {
    if (x == 0.0) {
      return 1.0;
    }
    x = x * Math.PI;
    return StrictMath.sin(x) / x;
  }
}
