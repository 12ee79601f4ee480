package io.vicinity.kernels;

import java.util.Arrays;

/** Small helpers for shape arithmetic and for error messages that print actual shapes. */
public final class Shapes {
  private Shapes() {}

  public static long numel(int... shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  public static String str(int... shape) {
    return Arrays.toString(shape);
  }

  /** Throws an {@link IllegalArgumentException} naming the operator and the offending shapes. */
  public static void require(boolean condition, String op, String what, Object... shapes) {
    if (!condition) {
      StringBuilder sb = new StringBuilder(op).append(": ").append(what);
      for (Object s : shapes) {
        sb.append(' ').append(s instanceof int[] ? str((int[]) s) : String.valueOf(s));
      }
      throw new IllegalArgumentException(sb.toString());
    }
  }
}
