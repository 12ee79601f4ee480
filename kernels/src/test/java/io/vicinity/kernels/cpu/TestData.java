package io.vicinity.kernels.cpu;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

/** Random inputs and tolerance checks shared by the CPU backend tests. */
final class TestData {
  private TestData() {}

  static float[] gaussian(Random random, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) random.nextGaussian();
    }
    return x;
  }

  static float[] uniform(Random random, int n, double lo, double hi) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (lo + (hi - lo) * random.nextDouble());
    }
    return x;
  }

  static int numel(int... shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  /** |actual - expected| <= tol * (1 + |expected|) everywhere; also fails on NaN (e.g. a poisoned output). */
  static void assertClose(String what, double[] expected, float[] actual, double tol) {
    if (expected.length != actual.length) {
      fail(what + ": length " + actual.length + ", expected " + expected.length);
    }
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(actual[i] - expected[i]);
      if (!(err <= tol * (1 + Math.abs(expected[i])))) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (error " + err + ")");
      }
    }
  }

  /**
   * For reductions: |actual - expected| <= tol * magnitude[i], where magnitude is the sum of the absolute
   * values of the terms (the natural scale of rounding error), plus a tiny floor.
   */
  static void assertCloseScaled(String what, double[] expected, double[] magnitude, float[] actual, double tol) {
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(actual[i] - expected[i]);
      double bound = tol * magnitude[i] + 1e-7 * Math.abs(expected[i]) + 1e-30;
      if (!(err <= bound)) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (error " + err
            + ", bound " + bound + ")");
      }
    }
  }
}
