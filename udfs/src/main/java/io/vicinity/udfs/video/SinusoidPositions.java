package io.vicinity.udfs.video;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * VideoMAE's fixed position table (not stored in checkpoints), exactly as Hugging Face's
 * {@code get_sinusoid_encoding_table}: angle(pos, j) = pos / 10000^(2 (j / 2) / d), sin on even j and cos on
 * odd j, computed in double and rounded to float32. Each row depends only on its position, so a clip longer
 * than the checkpoint's {@code num_frames} simply uses more rows.
 */
public final class SinusoidPositions {
  private static final Map<Long, float[]> CACHE = new ConcurrentHashMap<>();

  private SinusoidPositions() {}

  /** The table [positions, dim], row-major. The returned array is shared: do not modify it. */
  public static float[] table(int positions, int dim) {
    if (positions < 0 || dim < 1) {
      throw new IllegalArgumentException("sinusoid table: need positions >= 0 and dim >= 1, got " + positions
          + " x " + dim);
    }
    return CACHE.computeIfAbsent(((long) positions << 32) | dim, k -> compute(positions, dim));
  }

  private static float[] compute(int positions, int dim) {
    double[] inverseFrequency = new double[dim];
    for (int j = 0; j < dim; j++) {
      inverseFrequency[j] = Math.pow(10000, 2 * (j / 2) / (double) dim);
    }
    float[] out = new float[Math.multiplyExact(positions, dim)];
    for (int pos = 0; pos < positions; pos++) {
      for (int j = 0; j < dim; j++) {
        double angle = pos / inverseFrequency[j];
        out[pos * dim + j] = (float) (j % 2 == 0 ? Math.sin(angle) : Math.cos(angle));
      }
    }
    return out;
  }
}
