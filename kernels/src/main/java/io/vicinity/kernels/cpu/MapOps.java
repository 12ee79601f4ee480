package io.vicinity.kernels.cpu;

import java.util.Arrays;

/** Spatial operators on [B, H, W, C] maps: pad, crop, bilinear resize, adaptive and global average pooling. */
final class MapOps {
  private MapOps() {}

  /** Geometry of an NHWC map. */
  record Map(int batch, int h, int w, int c) {}

  /** Copies the top-left h x w of {@code in} into a (possibly larger) map, writing zeros elsewhere. */
  static void copyCorner(Parallel parallel, float[] x, Map in, Map out, float[] dst) {
    int copyH = Math.min(in.h(), out.h());
    int copyRow = Math.min(in.w(), out.w()) * in.c();
    int outRow = out.w() * out.c();
    parallel.forRange(
        out.batch() * out.h(),
        RowOps.rowGrain(outRow),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int b = r / out.h();
            int y = r % out.h();
            int dstOff = r * outRow;
            int written = 0;
            if (y < copyH) {
              System.arraycopy(x, (b * in.h() + y) * in.w() * in.c(), dst, dstOff, copyRow);
              written = copyRow;
            }
            Arrays.fill(dst, dstOff + written, dstOff + outRow, 0f);
          }
        });
  }

  /** Source coordinates and weights along one axis, as torch's upsample_bilinear2d computes them (in float). */
  private static void axisWeights(int in, int out, boolean alignCorners, int[] lo, int[] hi, float[] fracHi) {
    float scale;
    if (alignCorners) {
      scale = out > 1 ? (float) (in - 1) / (out - 1) : 0f;
    } else {
      scale = (float) in / out;
    }
    for (int i = 0; i < out; i++) {
      float src = alignCorners ? scale * i : Math.max(scale * (i + 0.5f) - 0.5f, 0f);
      int i0 = Math.min((int) src, in - 1);
      lo[i] = i0;
      hi[i] = Math.min(i0 + 1, in - 1);
      fracHi[i] = Math.min(Math.max(src - i0, 0f), 1f);
    }
  }

  static void resizeBilinear(Parallel parallel, float[] x, Map in, Map out, boolean alignCorners, float[] dst) {
    int[] y0 = new int[out.h()];
    int[] y1 = new int[out.h()];
    float[] wy = new float[out.h()];
    int[] x0 = new int[out.w()];
    int[] x1 = new int[out.w()];
    float[] wx = new float[out.w()];
    axisWeights(in.h(), out.h(), alignCorners, y0, y1, wy);
    axisWeights(in.w(), out.w(), alignCorners, x0, x1, wx);
    int c = in.c();
    parallel.forRange(
        out.batch() * out.h(),
        RowOps.rowGrain(out.w() * c),
        (from, to) -> {
          for (int r = from; r < to; r++) {
            int b = r / out.h();
            int oy = r % out.h();
            int top = (b * in.h() + y0[oy]) * in.w();
            int bottom = (b * in.h() + y1[oy]) * in.w();
            float fy = wy[oy];
            for (int ox = 0; ox < out.w(); ox++) {
              float fx = wx[ox];
              int tl = (top + x0[ox]) * c;
              int tr = (top + x1[ox]) * c;
              int bl = (bottom + x0[ox]) * c;
              int br = (bottom + x1[ox]) * c;
              int o = (r * out.w() + ox) * c;
              for (int ch = 0; ch < c; ch++) {
                float upper = (1 - fx) * x[tl + ch] + fx * x[tr + ch];
                float lower = (1 - fx) * x[bl + ch] + fx * x[br + ch];
                dst[o + ch] = (1 - fy) * upper + fy * lower;
              }
            }
          }
        });
  }

  /**
   * Backend.classMaps for one image: {@code scores} from {@code offset} hold [in.h, in.w, in.c]. The two resizes
   * compose to one linear map per axis (an output row mixes two rows of the middle size, each mixing two score
   * rows), applied pixel by pixel in double so no resized map is stored.
   */
  static void classMap(Parallel parallel, float[] scores, int offset, Map in, int midH, int midW, int outH, int outW,
      int[] classes, float[] probabilities) {
    ComposedAxis ys = ComposedAxis.of(in.h(), midH, outH);
    ComposedAxis xs = ComposedAxis.of(in.w(), midW, outW);
    int c = in.c();
    parallel.forRange(outH, RowOps.rowGrain(outW * c * 4), (from, to) -> {
      double[] v = new double[c];
      for (int y = from; y < to; y++) {
        for (int x = 0; x < outW; x++) {
          Arrays.fill(v, 0);
          for (int r = 0; r < 4; r++) {
            for (int q = 0; q < 4; q++) {
              double weight = ys.weight[4 * y + r] * xs.weight[4 * x + q];
              if (weight == 0) {
                continue; // a merged or unused tap (ComposedAxis)
              }
              int base = offset + (ys.index[4 * y + r] * in.w() + xs.index[4 * x + q]) * c;
              for (int k = 0; k < c; k++) {
                v[k] += weight * scores[base + k];
              }
            }
          }
          int best = 0;
          for (int k = 1; k < c; k++) {
            if (ranksAbove(v[k], k, v[best], best)) {
              best = k;
            }
          }
          classes[y * outW + x] = best;
          if (probabilities != null) {
            double sum = 0;
            for (double value : v) {
              sum += Math.exp(value - v[best]);
            }
            probabilities[y * outW + x] = (float) (1 / sum);
          }
        }
      }
    });
  }

  /** torch.argmax's order: NaN above every number, then the larger value, then the smaller index. */
  private static boolean ranksAbove(double v, int i, double u, int j) {
    if (Double.isNaN(v) != Double.isNaN(u)) {
      return Double.isNaN(v);
    }
    return !Double.isNaN(v) && v != u ? v > u : i < j;
  }

  /**
   * Per output index of one axis, the four source indexes behind two chained bilinear resizes and their weights;
   * a repeated index (neighbouring middle rows share score rows, the edges clamp) has its weight merged into its
   * first occurrence and 0 left in its own place, as the CUDA kernel's taps (resample.cu two_stage_taps).
   */
  private record ComposedAxis(int[] index, double[] weight) {
    static ComposedAxis of(int in, int mid, int out) {
      int[] midLo = new int[out];
      int[] midHi = new int[out];
      float[] midFrac = new float[out];
      axisWeights(mid, out, false, midLo, midHi, midFrac);
      int[] lo = new int[mid];
      int[] hi = new int[mid];
      float[] frac = new float[mid];
      axisWeights(in, mid, false, lo, hi, frac);
      int[] index = new int[4 * out];
      double[] weight = new double[4 * out];
      for (int d = 0; d < out; d++) {
        int a = midLo[d];
        int b = midHi[d];
        double fa = midFrac[d];
        index[4 * d] = lo[a];
        index[4 * d + 1] = hi[a];
        index[4 * d + 2] = lo[b];
        index[4 * d + 3] = hi[b];
        weight[4 * d] = (1 - fa) * (1 - frac[a]);
        weight[4 * d + 1] = (1 - fa) * frac[a];
        weight[4 * d + 2] = fa * (1 - frac[b]);
        weight[4 * d + 3] = fa * frac[b];
        for (int k = 1; k < 4; k++) {
          for (int first = 0; first < k; first++) {
            if (index[4 * d + first] == index[4 * d + k]) {
              weight[4 * d + first] += weight[4 * d + k];
              weight[4 * d + k] = 0;
              break;
            }
          }
        }
      }
      return new ComposedAxis(index, weight);
    }
  }

  /** torch's bins: [floor(i * in / out), ceil((i + 1) * in / out)). */
  static int binStart(int i, int in, int out) {
    return (int) ((long) i * in / out);
  }

  static int binEnd(int i, int in, int out) {
    return (int) (((long) (i + 1) * in + out - 1) / out);
  }

  static void adaptiveAvgPool2d(Parallel parallel, float[] x, Map in, Map out, float[] dst) {
    int c = in.c();
    parallel.forRange(
        out.batch() * out.h(),
        1,
        (from, to) -> {
          double[] sum = new double[c];
          for (int r = from; r < to; r++) {
            int b = r / out.h();
            int oy = r % out.h();
            int ys = binStart(oy, in.h(), out.h());
            int ye = binEnd(oy, in.h(), out.h());
            for (int ox = 0; ox < out.w(); ox++) {
              int xs = binStart(ox, in.w(), out.w());
              int xe = binEnd(ox, in.w(), out.w());
              Arrays.fill(sum, 0.0);
              for (int y = ys; y < ye; y++) {
                for (int xx = xs; xx < xe; xx++) {
                  int off = ((b * in.h() + y) * in.w() + xx) * c;
                  for (int ch = 0; ch < c; ch++) {
                    sum[ch] += x[off + ch];
                  }
                }
              }
              double count = (double) (ye - ys) * (xe - xs);
              int o = (r * out.w() + ox) * c;
              for (int ch = 0; ch < c; ch++) {
                dst[o + ch] = (float) (sum[ch] / count);
              }
            }
          }
        });
  }

  /** [B, tokens, C] (tokens = product of the middle axes) -> [B, C], summed in double. */
  static void meanPool(Parallel parallel, float[] x, int batch, int tokens, int c, float[] dst) {
    parallel.forRange(
        batch,
        1,
        (from, to) -> {
          double[] sum = new double[c];
          for (int b = from; b < to; b++) {
            Arrays.fill(sum, 0.0);
            for (int t = 0; t < tokens; t++) {
              int off = (b * tokens + t) * c;
              for (int ch = 0; ch < c; ch++) {
                sum[ch] += x[off + ch];
              }
            }
            for (int ch = 0; ch < c; ch++) {
              dst[b * c + ch] = (float) (sum[ch] / tokens);
            }
          }
        });
  }
}
