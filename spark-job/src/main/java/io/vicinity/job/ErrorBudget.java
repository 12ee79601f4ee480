package io.vicinity.job;

import java.util.Locale;

/** The {@code --max-error-rate} rule: the run fails when more than this fraction of its inputs failed. */
final class ErrorBudget {
  private ErrorBudget() {}

  /** True when {@code errors / processed > maxRate}; a run that processed nothing never exceeds it. */
  static boolean exceeded(long errors, long processed, double maxRate) {
    return processed > 0 && (double) errors / processed > maxRate;
  }

  static String message(long errors, long processed, double maxRate) {
    return String.format(Locale.ROOT,
        "%d of %d inputs failed (%.2f%%), above --max-error-rate %s", errors, processed,
        100.0 * errors / processed, maxRate);
  }
}
