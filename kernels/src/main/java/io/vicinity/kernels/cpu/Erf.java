package io.vicinity.kernels.cpu;

/**
 * erf, erfc and exact GELU in double precision (Java has no erf). Values come from a table of erfc on a
 * grid of step 1/64 over [0, 9], built once with a power series (small x) and a continued fraction (large
 * x), plus a Taylor expansion around the nearest grid point whose derivatives are Hermite polynomials:
 * d^n/dx^n erf(x) = (2/sqrt(pi)) (-1)^(n-1) H_(n-1)(x) e^(-x^2). With |h| <= 1/128 and seven terms the
 * truncation error is below 1e-11 relative, for erf and for erfc (so GELU of negative inputs stays
 * accurate too).
 */
final class Erf {
  private static final int STEPS_PER_UNIT = 64;
  /** erfc(9) is about 4e-37; beyond it erfc is 0 and erf is 1 to float precision. */
  private static final double LIMIT = 9.0;
  private static final int TERMS = 7;
  private static final int POINTS = (int) (LIMIT * STEPS_PER_UNIT) + 1;
  private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
  private static final double SQRT_HALF = Math.sqrt(0.5);
  /** Below this the power series for erf converges fast and 1 - erf keeps enough digits of erfc. */
  private static final double SERIES_LIMIT = 2.0;
  private static final int CONTINUED_FRACTION_DEPTH = 4000;

  private static final double[] ERF = new double[POINTS];
  private static final double[] ERFC = new double[POINTS];
  /** Taylor coefficient n (1..TERMS) of erf around grid point j, at [j * TERMS + n - 1]. */
  private static final double[] TAYLOR = new double[POINTS * TERMS];

  static {
    for (int j = 0; j < POINTS; j++) {
      double x = (double) j / STEPS_PER_UNIT;
      if (x <= SERIES_LIMIT) {
        ERF[j] = erfBySeries(x);
        ERFC[j] = 1.0 - ERF[j];
      } else {
        ERFC[j] = erfcByContinuedFraction(x);
        ERF[j] = 1.0 - ERFC[j];
      }
      double derivative = TWO_OVER_SQRT_PI * Math.exp(-x * x);
      double hermitePrev = 0; // H_(n-2)
      double hermite = 1; // H_(n-1), starting at H_0
      double factorial = 1;
      for (int n = 1; n <= TERMS; n++) {
        factorial *= n;
        double sign = (n % 2 == 1) ? 1 : -1;
        TAYLOR[j * TERMS + n - 1] = derivative * sign * hermite / factorial;
        double next = 2 * x * hermite - 2 * (n - 1) * hermitePrev; // H_n = 2x H_(n-1) - 2(n-1) H_(n-2)
        hermitePrev = hermite;
        hermite = next;
      }
    }
  }

  private Erf() {}

  static double erf(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    double ax = Math.abs(x);
    double value = ax >= LIMIT ? 1.0 : lookup(ax, ERF, 1.0);
    return x < 0 ? -value : value;
  }

  static double erfc(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    if (x < 0) {
      return 2.0 - erfc(-x);
    }
    return x >= LIMIT ? 0.0 : lookup(x, ERFC, -1.0);
  }

  /** Exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)), via erfc for negative x to avoid cancellation. */
  static double gelu(double x) {
    return x >= 0 ? 0.5 * x * (1.0 + erf(x * SQRT_HALF)) : 0.5 * x * erfc(-x * SQRT_HALF);
  }

  /** table[j] + sign * sum_n TAYLOR[j][n] h^n with j the nearest grid point to x (0 <= x < LIMIT). */
  private static double lookup(double x, double[] table, double sign) {
    int j = (int) Math.rint(x * STEPS_PER_UNIT);
    double h = x - (double) j / STEPS_PER_UNIT;
    int base = j * TERMS;
    double poly = 0;
    for (int n = TERMS - 1; n >= 0; n--) {
      poly = (poly + TAYLOR[base + n]) * h;
    }
    return table[j] + sign * poly;
  }

  /** erf(x) = (2/sqrt pi) e^(-x^2) sum_n x (2x^2)^n / (1*3*...*(2n+1)); all terms positive. */
  private static double erfBySeries(double x) {
    double term = x;
    double sum = x;
    for (int n = 1; term > 1e-18 * sum; n++) {
      term *= 2 * x * x / (2 * n + 1);
      sum += term;
    }
    return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
  }

  /** erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail. */
  private static double erfcByContinuedFraction(double x) {
    double tail = x;
    for (int n = CONTINUED_FRACTION_DEPTH; n >= 1; n--) {
      tail = x + (n * 0.5) / tail;
    }
    return Math.exp(-x * x) / Math.sqrt(Math.PI) / tail;
  }
}
