package io.vicinity.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Erf against an independent high-precision reference: the alternating Maclaurin series
 * erf(x) = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)) summed in 80-digit decimal arithmetic, which also
 * gives erfc = 1 - erf without cancellation trouble. (Production uses a table, a positive-term series,
 * a continued fraction and Hermite-Taylor steps instead.)
 */
class ErfTest {
  private static final MathContext MC = new MathContext(80);
  private static final BigDecimal PI =
      new BigDecimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899863");
  private static final BigDecimal TWO_OVER_SQRT_PI = BigDecimal.valueOf(2).divide(PI.sqrt(MC), MC);

  /** erf(x) in 80 digits; fine for |x| <= 7 (largest term ~ e^49, far below 80 digits). */
  static BigDecimal erfExact(double xd) {
    BigDecimal x = new BigDecimal(xd);
    BigDecimal x2 = x.multiply(x, MC);
    BigDecimal power = x; // (-1)^n x^(2n+1) / n!
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal tiny = new BigDecimal("1e-70");
    for (int n = 0; ; n++) {
      BigDecimal term = power.divide(BigDecimal.valueOf(2L * n + 1), MC);
      sum = sum.add(term, MC);
      if (n > 2 * x2.doubleValue() + 5 && term.abs().compareTo(tiny) < 0) {
        break;
      }
      power = power.multiply(x2, MC).divide(BigDecimal.valueOf(-(n + 1L)), MC);
    }
    return sum.multiply(TWO_OVER_SQRT_PI, MC);
  }

  /** A double erf for other tests' references, from the exact series (slow; small inputs only). */
  static double referenceErf(double x) {
    if (Math.abs(x) > 7) {
      return Math.signum(x);
    }
    return erfExact(x).doubleValue();
  }

  private static void assertRelative(String what, double x, BigDecimal exact, double actual, double tol) {
    double expected = exact.doubleValue();
    double rel = expected == 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
    assertTrue(rel < tol, what + "(" + x + ") = " + actual + ", expected " + expected + ", relative error " + rel);
  }

  @Test
  void erfAndErfcMatchTheHighPrecisionSeries() {
    Random random = new Random(11);
    for (int i = 0; i < 400; i++) {
      // Dense near 0 (relative accuracy of tiny values), then across the whole table up to erfc ~ 1e-21.
      double x = i < 50 ? Math.pow(10, -12 + 12 * random.nextDouble()) : 6.8 * random.nextDouble();
      BigDecimal erf = erfExact(x);
      BigDecimal erfc = BigDecimal.ONE.subtract(erf, MC);
      assertRelative("erf", x, erf, Erf.erf(x), 1e-10);
      assertRelative("erf", -x, erf.negate(), Erf.erf(-x), 1e-10);
      assertRelative("erfc", x, erfc, Erf.erfc(x), 1e-10);
      assertRelative("erfc", -x, BigDecimal.ONE.add(erf, MC), Erf.erfc(-x), 1e-10);
    }
  }

  @Test
  void gridPointsAndHalfSteps() {
    // Exactly on the table's grid, and exactly halfway between two grid points (largest Taylor step).
    for (int j = 0; j <= 6 * 64; j += 7) {
      for (double x : new double[] {j / 64.0, (j + 0.5) / 64.0}) {
        BigDecimal erf = erfExact(x);
        assertRelative("erf", x, erf, Erf.erf(x), 1e-10);
        assertRelative("erfc", x, BigDecimal.ONE.subtract(erf, MC), Erf.erfc(x), 1e-10);
      }
    }
  }

  @Test
  void geluMatchesTheDefinitionIncludingTheNegativeTail() {
    Random random = new Random(12);
    for (int i = 0; i < 300; i++) {
      double x = -9.5 + 19 * random.nextDouble();
      BigDecimal z = new BigDecimal(x).divide(new BigDecimal(Math.sqrt(2)), MC); // x / sqrt 2 (to double's sqrt 2)
      BigDecimal onePlusErf = BigDecimal.ONE.add(erfExact(z.doubleValue()), MC);
      BigDecimal exact = new BigDecimal(x).multiply(onePlusErf, MC).multiply(new BigDecimal("0.5"), MC);
      assertRelative("gelu", x, exact, Erf.gelu(x), 1e-9);
    }
  }

  @Test
  void limitsAndSpecialValues() {
    assertEquals(0.0, Erf.erf(0.0));
    assertEquals(1.0, Erf.erf(30.0));
    assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY));
    assertEquals(0.0, Erf.erfc(Double.POSITIVE_INFINITY));
    assertEquals(2.0, Erf.erfc(-40.0));
    assertTrue(Double.isNaN(Erf.erf(Double.NaN)));
    assertEquals(0.0, Erf.gelu(0.0));
    assertEquals(50.0, Erf.gelu(50.0));
  }
}
