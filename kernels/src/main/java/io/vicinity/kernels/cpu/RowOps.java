package io.vicinity.kernels.cpu;

/**
 * Operators that work on independent rows of the last axis: layer norm, batch norm, softmax. Reductions are
 * in double.
 */
final class RowOps {
  /** About this many elements per task, so small tensors do not pay for forking. */
  static final int ELEMENTS_PER_TASK = 1 << 14;

  private RowOps() {}

  static int rowGrain(int rowLength) {
    return Math.max(1, ELEMENTS_PER_TASK / Math.max(1, rowLength));
  }

  static void layerNorm(
      Parallel parallel, float[] x, int rows, int n, float[] gamma, float[] beta, float eps, float[] out) {
    parallel.forRange(
        rows,
        rowGrain(n),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * n;
            double mean = 0;
            for (int i = 0; i < n; i++) {
              mean += x[off + i];
            }
            mean /= n;
            double var = 0;
            for (int i = 0; i < n; i++) {
              double dev = x[off + i] - mean;
              var += dev * dev;
            }
            double inv = 1.0 / Math.sqrt(var / n + eps); // biased variance, as torch
            for (int i = 0; i < n; i++) {
              double v = (x[off + i] - mean) * inv;
              out[off + i] = (float) (v * (gamma == null ? 1 : gamma[i]) + (beta == null ? 0 : beta[i]));
            }
          }
        });
  }

  /** Eval-mode batch norm over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta, then ReLU. */
  static void batchNorm(
      Parallel parallel, float[] x, int rows, int n, float[] mean, float[] var, float[] gamma, float[] beta,
      float eps, boolean relu, float[] out) {
    // Folded into one multiply-add per element, computed in double once per channel.
    double[] mul = new double[n];
    double[] add = new double[n];
    for (int i = 0; i < n; i++) {
      mul[i] = (gamma == null ? 1.0 : gamma[i]) / Math.sqrt((double) var[i] + eps);
      add[i] = (beta == null ? 0.0 : beta[i]) - mean[i] * mul[i];
    }
    parallel.forRange(
        rows,
        rowGrain(n),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * n;
            for (int i = 0; i < n; i++) {
              double v = x[off + i] * mul[i] + add[i];
              out[off + i] = (float) (relu ? Math.max(v, 0.0) : v);
            }
          }
        });
  }

  static void softmax(Parallel parallel, float[] x, int rows, int n, float[] out) {
    parallel.forRange(
        rows,
        rowGrain(n),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int off = r * n;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
              max = Math.max(max, x[off + i]);
            }
            double total = 0;
            for (int i = 0; i < n; i++) {
              total += Math.exp(x[off + i] - max);
            }
            for (int i = 0; i < n; i++) {
              out[off + i] = (float) (Math.exp(x[off + i] - max) / total);
            }
          }
        });
  }

  /** out = act(x), element-wise. */
  static void activation(Parallel parallel, float[] x, io.vicinity.kernels.Activation act, float[] out) {
    parallel.forRange(
        x.length,
        ELEMENTS_PER_TASK,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            out[i] = (float) Activations.apply(act, x[i]);
          }
        });
  }

  static void add(Parallel parallel, float[] a, float[] b, float[] out) {
    parallel.forRange(
        a.length,
        ELEMENTS_PER_TASK,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            out[i] = a[i] + b[i];
          }
        });
  }

  /** Row r of the output is the rows r of every input, side by side. */
  static void concatLast(Parallel parallel, float[][] xs, int[] widths, int rows, float[] out) {
    int total = 0;
    for (int w : widths) {
      total += w;
    }
    int outWidth = total;
    parallel.forRange(
        rows,
        rowGrain(outWidth),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int dst = r * outWidth;
            for (int t = 0; t < xs.length; t++) {
              System.arraycopy(xs[t], r * widths[t], out, dst, widths[t]);
              dst += widths[t];
            }
          }
        });
  }
}
