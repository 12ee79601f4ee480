package io.vicinity.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.ClassMaps;

/**
 * Backend.classMaps written out the long way, for tests of either backend: the scores resized to the middle size
 * and stored, then resized again per image (naive double loops over torch's source-coordinate rule), then the
 * arg-max and the softmax of each pixel.
 */
public final class ClassMapReference {
  private ClassMapReference() {}

  /**
   * Labels equal to the reference wherever its two best classes are more than {@code margin} apart (and such
   * pixels are at least 95% of all, so the check cannot pass vacuously); probabilities within {@code probTol}.
   */
  public static void assertMatches(String what, float[] scores, int[] shape, int midH, int midW, int[] outH,
      int[] outW, ClassMaps maps, double margin, double probTol) {
    int b = shape[0];
    int h = shape[1];
    int w = shape[2];
    int c = shape[3];
    double[] x = new double[scores.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = scores[i];
    }
    double[] mid = resize(x, b, h, w, c, midH, midW);
    int compared = 0;
    int pixels = 0;
    double[] v = new double[c];
    for (int n = 0; n < b; n++) {
      assertEquals(outH[n] * outW[n], maps.classes()[n].length, what + ": pixels of image " + n);
      for (int y = 0; y < outH[n]; y++) {
        for (int xx = 0; xx < outW[n]; xx++) {
          int best = 0;
          for (int ch = 0; ch < c; ch++) {
            v[ch] = sample(mid, n, midH, midW, c, ch, source(y, midH, outH[n]), source(xx, midW, outW[n]));
            best = v[ch] > v[best] ? ch : best;
          }
          double second = Double.NEGATIVE_INFINITY;
          double sum = 0;
          for (int ch = 0; ch < c; ch++) {
            second = ch != best ? Math.max(second, v[ch]) : second;
            sum += Math.exp(v[ch] - v[best]);
          }
          int p = y * outW[n] + xx;
          pixels++;
          if (v[best] - second > margin) {
            assertEquals(best, maps.classes()[n][p], what + ": image " + n + " pixel (" + xx + ", " + y + ")");
            compared++;
          }
          if (maps.probabilities() != null) {
            assertEquals(1 / sum, maps.probabilities()[n][p], probTol, what + ": probability, image " + n
                + " pixel (" + xx + ", " + y + ")");
          }
        }
      }
    }
    assertTrue(compared > 0.95 * pixels, what + ": only " + compared + " of " + pixels + " pixels away from ties");
  }

  private static double[] resize(double[] x, int b, int h, int w, int c, int oh, int ow) {
    double[] out = new double[b * oh * ow * c];
    for (int n = 0; n < b; n++) {
      for (int y = 0; y < oh; y++) {
        for (int xx = 0; xx < ow; xx++) {
          for (int ch = 0; ch < c; ch++) {
            out[((n * oh + y) * ow + xx) * c + ch] = sample(x, n, h, w, c, ch, source(y, h, oh), source(xx, w, ow));
          }
        }
      }
    }
    return out;
  }

  private static double source(int dst, int in, int out) {
    return source(dst, in, out, false);
  }

  /** torch's source coordinate for one output index (area_pixel_compute_source_index), in double. */
  static double source(int dst, int in, int out, boolean alignCorners) {
    if (alignCorners) {
      return out > 1 ? dst * (in - 1.0) / (out - 1.0) : 0;
    }
    return Math.max(0, (dst + 0.5) * in / out - 0.5);
  }

  /** Bilinear sample of channel ch of image n of an [N, h, w, c] map at source coordinates (sy, sx). */
  static double sample(double[] x, int n, int h, int w, int c, int ch, double sy, double sx) {
    int y0 = Math.min((int) sy, h - 1);
    int x0 = Math.min((int) sx, w - 1);
    int y1 = Math.min(y0 + 1, h - 1);
    int x1 = Math.min(x0 + 1, w - 1);
    double fy = Math.min(sy - y0, 1);
    double fx = Math.min(sx - x0, 1);
    double top = (1 - fx) * x[((n * h + y0) * w + x0) * c + ch] + fx * x[((n * h + y0) * w + x1) * c + ch];
    double bottom = (1 - fx) * x[((n * h + y1) * w + x0) * c + ch] + fx * x[((n * h + y1) * w + x1) * c + ch];
    return (1 - fy) * top + fy * bottom;
  }
}
