package io.vicinity.udfs.testing;

/**
 * Error measures for parity tests. Relative error is max |actual - expected| / max |expected| over the
 * whole array, so a tensor with a few near-zero entries is judged by its scale, not by those entries.
 */
public final class Compare {
  private Compare() {}

  public static double maxRelativeError(float[] actual, double[] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError("length " + actual.length + " != expected " + expected.length);
    }
    double maxDiff = 0;
    double maxRef = 0;
    for (int i = 0; i < actual.length; i++) {
      if (!Float.isFinite(actual[i])) {
        return Double.POSITIVE_INFINITY;
      }
      maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
    }
    return maxRef == 0 ? maxDiff : maxDiff / maxRef;
  }

  /**
   * Relative error of the image-dependent part: rows minus their mean over rows. Random-weight models
   * give every image nearly the same output; a wrong attention can hide inside that shared part.
   */
  public static double centeredRelativeError(float[][] actualRows, double[][] expectedRows) {
    int n = actualRows.length;
    int width = actualRows[0].length;
    float[] a = new float[n * width];
    double[] e = new double[n * width];
    for (int j = 0; j < width; j++) {
      double meanA = 0;
      double meanE = 0;
      for (int i = 0; i < n; i++) {
        meanA += actualRows[i][j];
        meanE += expectedRows[i][j];
      }
      meanA /= n;
      meanE /= n;
      for (int i = 0; i < n; i++) {
        a[i * width + j] = (float) (actualRows[i][j] - meanA);
        e[i * width + j] = expectedRows[i][j] - meanE;
      }
    }
    return maxRelativeError(a, e);
  }

  public static double[][] rows(double[] flat, int n) {
    int width = flat.length / n;
    double[][] out = new double[n][width];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * width, out[i], 0, width);
    }
    return out;
  }
}
