package io.vicinity.kernels.cpu;

import io.vicinity.kernels.NeighborhoodWindow;

/**
 * Fused 2-D (dilated) neighborhood attention over packed qkv [B, H, W, 3C], per
 * docs/design/neighborhood-attention.md: for each query and head, k*k scores (q / sqrt(head_dim) . key +
 * rpb), a softmax with max subtraction, and the weighted sum of the values. Parallel over map rows.
 */
final class NeighborhoodAttention2d {
  private NeighborhoodAttention2d() {}

  /** Geometry of one call; channels = C (q, k and v each hold C = heads * headDim). */
  record Shape(int batch, int height, int width, int channels, int heads, int kernel, int dilation) {
    int headDim() {
      return channels / heads;
    }
  }

  static void run(Parallel parallel, float[] qkv, float[] rpbOrNull, Shape s, float[] out) {
    int[] startY = new int[s.height()];
    int[] biasY = new int[s.height()];
    int[] startX = new int[s.width()];
    int[] biasX = new int[s.width()];
    windows(s.height(), s.kernel(), s.dilation(), startY, biasY);
    windows(s.width(), s.kernel(), s.dilation(), startX, biasX);
    int rows = s.batch() * s.height();
    int grain = Math.max(1, 4096 / Math.max(1, s.width() * s.heads() * s.kernel() * s.kernel()));
    parallel.forRange(
        rows,
        grain,
        (from, to) -> {
          Scratch scratch = new Scratch(s);
          for (int row = from; row < to; row++) {
            int b = row / s.height();
            int y = row % s.height();
            for (int x = 0; x < s.width(); x++) {
              for (int head = 0; head < s.heads(); head++) {
                attendOne(qkv, rpbOrNull, s, b, y, x, head, startY[y], biasY[y], startX[x], biasX[x], scratch, out);
              }
            }
          }
        });
  }

  private static void windows(int length, int kernel, int dilation, int[] start, int[] bias) {
    for (int i = 0; i < length; i++) {
      start[i] = NeighborhoodWindow.start(length, kernel, dilation, i);
      bias[i] = NeighborhoodWindow.biasStart(length, kernel, dilation, i);
    }
  }

  /** Per-task buffers, reused for every query. */
  private static final class Scratch {
    final float[] query;
    final double[] scores;
    final float[] accumulator;

    Scratch(Shape s) {
      query = new float[s.headDim()];
      scores = new double[s.kernel() * s.kernel()];
      accumulator = new float[s.headDim()];
    }
  }

  private static void attendOne(
      float[] qkv, float[] rpb, Shape s, int b, int y, int x, int head,
      int sy, int pby, int sx, int pbx, Scratch scratch, float[] out) {
    int c = s.channels();
    int hd = s.headDim();
    int k = s.kernel();
    int d = s.dilation();
    int stride = 3 * c;
    int side = 2 * k - 1;
    float sqrtHeadDim = (float) Math.sqrt(hd);
    int headOff = head * hd;

    float[] q = scratch.query;
    int qOff = ((b * s.height() + y) * s.width() + x) * stride + headOff;
    for (int i = 0; i < hd; i++) {
      q[i] = qkv[qOff + i] / sqrtHeadDim; // as Hugging Face: query / sqrt(head_dim), in float
    }

    double[] scores = scratch.scores;
    double max = Double.NEGATIVE_INFINITY;
    for (int ty = 0; ty < k; ty++) {
      int keyRow = (b * s.height() + sy + ty * d) * s.width();
      int biasRow = rpb == null ? 0 : (head * side + pby + ty) * side + pbx;
      for (int tx = 0; tx < k; tx++) {
        int keyOff = (keyRow + sx + tx * d) * stride + c + headOff;
        double score = dot(q, qkv, keyOff, hd);
        if (rpb != null) {
          score += rpb[biasRow + tx];
        }
        scores[ty * k + tx] = score;
        max = Math.max(max, score);
      }
    }
    double total = 0;
    for (int t = 0; t < k * k; t++) {
      scores[t] = Math.exp(scores[t] - max);
      total += scores[t];
    }

    float[] acc = scratch.accumulator;
    java.util.Arrays.fill(acc, 0f);
    for (int ty = 0; ty < k; ty++) {
      int keyRow = (b * s.height() + sy + ty * d) * s.width();
      for (int tx = 0; tx < k; tx++) {
        int valueOff = (keyRow + sx + tx * d) * stride + 2 * c + headOff;
        float p = (float) (scores[ty * k + tx] / total);
        for (int i = 0; i < hd; i++) {
          acc[i] += p * qkv[valueOff + i];
        }
      }
    }
    System.arraycopy(acc, 0, out, ((b * s.height() + y) * s.width() + x) * c + headOff, hd);
  }

  /** q . v[off..off+n) in double with four independent sums (breaks the add latency chain). */
  private static double dot(float[] q, float[] v, int off, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += (double) q[i] * v[off + i];
      s1 += (double) q[i + 1] * v[off + i + 1];
      s2 += (double) q[i + 2] * v[off + i + 2];
      s3 += (double) q[i + 3] * v[off + i + 3];
    }
    for (; i < n; i++) {
      s0 += (double) q[i] * v[off + i];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
