package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Image comparisons whose failure messages say where and by how much. */
final class RgbAssertions {

  private RgbAssertions() {}

  static void assertSameRgb(RgbImage expected, RgbImage actual, String label) {
    assertEquals(expected.width() + "x" + expected.height(), actual.width() + "x" + actual.height(),
        label + ": size");
    byte[] e = expected.rgb();
    byte[] a = actual.rgb();
    int mismatches = 0;
    int first = -1;
    int maxDiff = 0;
    for (int i = 0; i < e.length; i++) {
      int d = Math.abs((e[i] & 0xFF) - (a[i] & 0xFF));
      if (d != 0) {
        mismatches++;
        maxDiff = Math.max(maxDiff, d);
        if (first < 0) {
          first = i;
        }
      }
    }
    if (mismatches > 0) {
      int pixel = first / 3;
      fail(String.format("%s: %d of %d samples differ (max %d); first at x=%d y=%d channel %d: expected %d, got %d",
          label, mismatches, e.length, maxDiff, pixel % expected.width(), pixel / expected.width(),
          first % 3, e[first] & 0xFF, a[first] & 0xFF));
    }
  }

  /** Mean and max absolute difference of samples; images must be the same size. */
  static double[] meanAndMaxAbsDiff(RgbImage expected, RgbImage actual) {
    assertEquals(expected.width() + "x" + expected.height(), actual.width() + "x" + actual.height(), "size");
    long sum = 0;
    int max = 0;
    for (int i = 0; i < expected.rgb().length; i++) {
      int d = Math.abs((expected.rgb()[i] & 0xFF) - (actual.rgb()[i] & 0xFF));
      sum += d;
      max = Math.max(max, d);
    }
    return new double[] {(double) sum / expected.rgb().length, max};
  }
}
