package io.vicinity.kernels;

/**
 * The per-axis window rule of (dilated) neighborhood attention, exactly as in
 * docs/design/neighborhood-attention.md. Every backend and every rank (1-D, 2-D, 3-D) applies it per axis.
 *
 * <p>For query {@code i} on an axis of length {@code L} with odd kernel {@code k} and dilation {@code d}, the
 * neighbours are {@code start + t*d} for {@code t = 0..k-1}, and neighbour {@code t} uses relative-position
 * bias row {@code biasStart + t}. The methods do not allocate and do not validate (they sit in hot loops):
 * callers check {@link #fits} once per call.
 */
public final class NeighborhoodWindow {
  private NeighborhoodWindow() {}

  /** True when the rule is defined: odd kernel >= 1, dilation >= 1 and {@code kernel * dilation <= length}. */
  public static boolean fits(int length, int kernel, int dilation) {
    return kernel >= 1 && kernel % 2 == 1 && dilation >= 1 && (long) kernel * dilation <= length;
  }

  /** Number of axis positions with remainder {@code group} modulo the dilation. */
  public static int groupLength(int length, int dilation, int group) {
    return length / dilation + (group < length % dilation ? 1 : 0);
  }

  /** First neighbour of query {@code i}; the others follow every {@code dilation} positions. */
  public static int start(int length, int kernel, int dilation, int i) {
    return shiftedPosition(length, kernel, dilation, i) * dilation + i % dilation;
  }

  /** Relative-position-bias row of the first neighbour of query {@code i} (the "pb" of the spec). */
  public static int biasStart(int length, int kernel, int dilation, int i) {
    return (kernel - 1) - (i / dilation - shiftedPosition(length, kernel, dilation, i));
  }

  /** The window's first position counted inside the query's dilation group, shifted in at the borders. */
  private static int shiftedPosition(int length, int kernel, int dilation, int i) {
    int inGroup = i / dilation;
    int lastStart = groupLength(length, dilation, i % dilation) - kernel;
    return Math.max(0, Math.min(inGroup - kernel / 2, lastStart));
  }
}
