package io.vicinity.udfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.testing.Compare;

/** The parity rule for model outputs: each row, and the image-dependent part, within 1e-4 relative. */
public final class DinatParity {
  public static final double TOLERANCE = 1e-4;

  private DinatParity() {}

  public static void assertRows(String what, float[][] actual, double[][] expected) {
    assertRows(what, actual, expected, TOLERANCE);
  }

  /** The same rule with another tolerance for both parts (reduced-precision backends). */
  public static void assertRows(String what, float[][] actual, double[][] expected, double tolerance) {
    assertRows(what, actual, expected, tolerance, tolerance);
  }

  /** Separate tolerances per image and for the image-dependent part (which bf16 storage blurs most). */
  public static void assertRows(String what, float[][] actual, double[][] expected, double tolerance,
      double centeredTolerance) {
    assertEquals(expected.length, actual.length, what + ": rows");
    for (int i = 0; i < actual.length; i++) {
      double err = Compare.maxRelativeError(actual[i], expected[i]);
      assertTrue(err < tolerance, what + " image " + i + ": relative error " + err);
    }
    double centered = Compare.centeredRelativeError(actual, expected);
    assertTrue(centered < centeredTolerance, what + " (image-dependent part): relative error " + centered);
  }
}
