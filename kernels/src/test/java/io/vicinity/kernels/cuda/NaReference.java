package io.vicinity.kernels.cuda;

import io.vicinity.kernels.NeighborhoodWindow;

/** Brute-force 2-D neighborhood attention in double precision, straight from the spec (tests only). */
final class NaReference {
  private NaReference() {}

  /**
   * qkv [B, H, W, 3, heads, D] flattened (only batches [b0, b0 + nb) are read, qkv starting at batch b0),
   * rpb [heads, 2k-1, 2k-1] or null; returns out [nb, H, W, heads, D].
   */
  static float[] compute(float[] qkv, float[] rpb, int nb, int h, int w, int heads, int dim, int k, int d) {
    int c = heads * dim;
    float[] out = new float[nb * h * w * c];
    double scale = 1.0 / Math.sqrt(dim);
    double[] s = new double[k * k];
    int rw = 2 * k - 1;
    for (int b = 0; b < nb; b++) {
      for (int y = 0; y < h; y++) {
        int sy = NeighborhoodWindow.start(h, k, d, y);
        int py = NeighborhoodWindow.biasStart(h, k, d, y);
        for (int x = 0; x < w; x++) {
          int sx = NeighborhoodWindow.start(w, k, d, x);
          int px = NeighborhoodWindow.biasStart(w, k, d, x);
          long qBase = (((long) b * h + y) * w + x) * 3 * c;
          for (int hd = 0; hd < heads; hd++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int ty = 0; ty < k; ty++) {
              for (int tx = 0; tx < k; tx++) {
                long kBase = (((long) b * h + sy + ty * d) * w + sx + tx * d) * 3 * c + c;
                double dot = 0;
                for (int i = 0; i < dim; i++) {
                  dot += (double) qkv[(int) (qBase + hd * dim + i)] * qkv[(int) (kBase + hd * dim + i)];
                }
                double v = dot * scale + (rpb == null ? 0 : rpb[(hd * rw + py + ty) * rw + px + tx]);
                s[ty * k + tx] = v;
                max = Math.max(max, v);
              }
            }
            double sum = 0;
            for (int i = 0; i < k * k; i++) {
              s[i] = Math.exp(s[i] - max);
              sum += s[i];
            }
            for (int i = 0; i < dim; i++) {
              double acc = 0;
              for (int ty = 0; ty < k; ty++) {
                for (int tx = 0; tx < k; tx++) {
                  long vBase = (((long) b * h + sy + ty * d) * w + sx + tx * d) * 3 * c + 2 * c;
                  acc += s[ty * k + tx] * qkv[(int) (vBase + hd * dim + i)];
                }
              }
              out[(int) ((((long) b * h + y) * w + x) * c + hd * dim + i)] = (float) (acc / sum);
            }
          }
        }
      }
    }
    return out;
  }
}
