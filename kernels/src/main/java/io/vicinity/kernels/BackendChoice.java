package io.vicinity.kernels;

import java.util.Locale;

/** What the user asked for: a specific backend, or the best one available. */
public enum BackendChoice {
  AUTO,
  CPU,
  CUDA;

  public static BackendChoice parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("backend must be one of auto, cpu, cuda; got '" + s + "'");
    }
  }
}
