package io.vicinity.kernels.cpu;

import java.util.Arrays;

/** linear and conv2d: both are a {@link Gemm} over rows of A, which conv2d gathers tile by tile (im2col). */
final class MatrixOps {
  /** Rows of A per work unit: a 64-row slab of A stays in L2 while every panel of B passes over it. */
  static final int ROW_TILE = 64;

  private MatrixOps() {}

  /** out[m, :] = epilogue(x[m, :] W^T) for the m rows of x ([m, k] row-major). */
  static void linear(Parallel parallel, float[] x, int m, PackedMatrix w, Gemm.Epilogue epilogue, float[] out) {
    int k = w.k;
    int rowTiles = (m + ROW_TILE - 1) / ROW_TILE;
    int panels = w.panelCount();
    // Work units are (row tile, panel) pairs, panel-major inside a row tile, so small batches still
    // spread over all workers and each worker reuses its rows of A across panels.
    parallel.forRange(
        rowTiles * panels,
        1,
        (from, to) -> {
          Gemm.Scratch scratch = new Gemm.Scratch();
          for (int unit = from; unit < to; unit++) {
            int row0 = (unit / panels) * ROW_TILE;
            int panel = unit % panels;
            int rows = Math.min(ROW_TILE, m - row0);
            Gemm.multiplyRows(x, row0 * k, k, rows, w, panel, panel + 1, epilogue, out, row0, scratch);
          }
        });
  }

  /** The conv weight [cout, cin, kh, kw] as a matrix [cout, (ky, kx, ci)], matching the im2col rows. */
  static PackedMatrix packConvWeight(float[] w, int cout, int cin, int kh, int kw) {
    return PackedMatrix.ofRows(
        cout,
        kh * kw * cin,
        (co, col) -> {
          int ci = col % cin;
          int tap = col / cin;
          return w[((co * cin + ci) * kh + tap / kw) * kw + tap % kw];
        });
  }

  /** Geometry of one conv2d call on an NHWC input. */
  record ConvShape(int batch, int h, int w, int cin, int kh, int kw, int stride, int pad, int ho, int wo) {}

  static void conv2d(Parallel parallel, float[] x, ConvShape s, PackedMatrix w, float[] bias, float[] out) {
    int pixels = s.batch() * s.ho() * s.wo();
    int k = w.k;
    Gemm.Epilogue epilogue = new Gemm.Epilogue(bias, io.vicinity.kernels.Activation.NONE, null, null);
    parallel.forRange(
        (pixels + ROW_TILE - 1) / ROW_TILE,
        1,
        (from, to) -> {
          Gemm.Scratch scratch = new Gemm.Scratch();
          float[] patches = new float[ROW_TILE * k];
          for (int tile = from; tile < to; tile++) {
            int pixel0 = tile * ROW_TILE;
            int rows = Math.min(ROW_TILE, pixels - pixel0);
            gatherPatches(x, s, pixel0, rows, patches);
            Gemm.multiplyRows(patches, 0, k, rows, w, 0, w.panelCount(), epilogue, out, pixel0, scratch);
          }
        });
  }

  /** im2col for output pixels [pixel0, pixel0 + rows): row r = the (ky, kx, ci) patch, zeros off the map. */
  private static void gatherPatches(float[] x, ConvShape s, int pixel0, int rows, float[] patches) {
    int cin = s.cin();
    int k = s.kh() * s.kw() * cin;
    for (int r = 0; r < rows; r++) {
      int pixel = pixel0 + r;
      int ox = pixel % s.wo();
      int oy = (pixel / s.wo()) % s.ho();
      int b = pixel / (s.wo() * s.ho());
      int dst = r * k;
      for (int ky = 0; ky < s.kh(); ky++) {
        int iy = oy * s.stride() - s.pad() + ky;
        for (int kx = 0; kx < s.kw(); kx++, dst += cin) {
          int ix = ox * s.stride() - s.pad() + kx;
          if (iy < 0 || iy >= s.h() || ix < 0 || ix >= s.w()) {
            Arrays.fill(patches, dst, dst + cin, 0f);
          } else {
            System.arraycopy(x, ((b * s.h() + iy) * s.w() + ix) * cin, patches, dst, cin);
          }
        }
      }
    }
  }
}
