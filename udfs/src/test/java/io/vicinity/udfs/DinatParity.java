package io.vicinity.udfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.testing.Compare;

/** The parity rule for model outputs: each row, and the image-dependent part, within 1e-4 relative. */
public final class DinatParity {
  public static final double TOLERANCE = 1e-4;

  private DinatParity() {}

  public static void assertRows(String what, float[][] actual, double[][] expected) {
    assertEquals(expected.length, actual.length, what + ": rows");
    for (int i = 0; i < actual.length; i++) {
      double err = Compare.maxRelativeError(actual[i], expected[i]);
      assertTrue(err < TOLERANCE, what + " image " + i + ": relative error " + err);
    }
    double centered = Compare.centeredRelativeError(actual, expected);
    assertTrue(centered < TOLERANCE, what + " (image-dependent part): relative error " + centered);
  }
}
