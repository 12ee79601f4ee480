package io.vicinity.kernels.cpu;

import io.vicinity.kernels.Activation;

/**
 * The matrix product behind linear and conv2d: rows of A times a {@link PackedMatrix}, with the fused
 * epilogue {@code out = residual + scale * act(acc + bias)}.
 *
 * <p>The micro-kernel computes a 4 x 4 block of outputs with sixteen double accumulators held in registers
 * (HotSpot does not vectorise float reductions, and register blocking beats its vectorised rank-1 updates
 * here by about 2x). Accumulating in double also keeps long reductions at double accuracy for free.
 */
final class Gemm {
  static final int ROW_BLOCK = 4;
  private static final int PANEL = PackedMatrix.PANEL;

  private Gemm() {}

  /** The epilogue's operands as arrays; any of them may be null. */
  record Epilogue(float[] bias, Activation activation, float[] scale, float[] residual) {}

  /** Per-task scratch, so the inner loops never allocate. */
  static final class Scratch {
    final double[] block = new double[ROW_BLOCK * PANEL];
  }

  /**
   * For {@code r < rows} and the columns j of panels [panelFrom, panelTo):
   * {@code out[(outRow + r) * n + j] = epilogue(sum_p a[aOff + r*lda + p] * B[j][p])}.
   */
  static void multiplyRows(
      float[] a, int aOff, int lda, int rows, PackedMatrix b, int panelFrom, int panelTo, Epilogue epilogue,
      float[] out, int outRow, Scratch scratch) {
    double[] block = scratch.block;
    for (int panel = panelFrom; panel < panelTo; panel++) {
      int bOff = panel * b.k * PANEL;
      for (int r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
        int blockRows = Math.min(ROW_BLOCK, rows - r0);
        if (blockRows == ROW_BLOCK) {
          block4x4(a, aOff + r0 * lda, lda, b.panels, bOff, b.k, block);
        } else {
          blockEdge(a, aOff + r0 * lda, lda, blockRows, b.panels, bOff, b.k, block);
        }
        writeBlock(block, blockRows, b.n, panel, epilogue, out, outRow + r0);
      }
    }
  }

  /** block[r * 4 + j] = sum_p a[r][p] * panel[p][j] for a full 4 x 4 block. */
  private static void block4x4(float[] a, int aOff, int lda, float[] b, int bOff, int k, double[] block) {
    double c00 = 0, c01 = 0, c02 = 0, c03 = 0;
    double c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    double c20 = 0, c21 = 0, c22 = 0, c23 = 0;
    double c30 = 0, c31 = 0, c32 = 0, c33 = 0;
    int a0 = aOff;
    int a1 = aOff + lda;
    int a2 = aOff + 2 * lda;
    int a3 = aOff + 3 * lda;
    for (int p = 0; p < k; p++) {
      int bp = bOff + p * PANEL;
      double b0 = b[bp];
      double b1 = b[bp + 1];
      double b2 = b[bp + 2];
      double b3 = b[bp + 3];
      double x0 = a[a0 + p];
      double x1 = a[a1 + p];
      double x2 = a[a2 + p];
      double x3 = a[a3 + p];
      c00 = Math.fma(x0, b0, c00);
      c01 = Math.fma(x0, b1, c01);
      c02 = Math.fma(x0, b2, c02);
      c03 = Math.fma(x0, b3, c03);
      c10 = Math.fma(x1, b0, c10);
      c11 = Math.fma(x1, b1, c11);
      c12 = Math.fma(x1, b2, c12);
      c13 = Math.fma(x1, b3, c13);
      c20 = Math.fma(x2, b0, c20);
      c21 = Math.fma(x2, b1, c21);
      c22 = Math.fma(x2, b2, c22);
      c23 = Math.fma(x2, b3, c23);
      c30 = Math.fma(x3, b0, c30);
      c31 = Math.fma(x3, b1, c31);
      c32 = Math.fma(x3, b2, c32);
      c33 = Math.fma(x3, b3, c33);
    }
    block[0] = c00;
    block[1] = c01;
    block[2] = c02;
    block[3] = c03;
    block[4] = c10;
    block[5] = c11;
    block[6] = c12;
    block[7] = c13;
    block[8] = c20;
    block[9] = c21;
    block[10] = c22;
    block[11] = c23;
    block[12] = c30;
    block[13] = c31;
    block[14] = c32;
    block[15] = c33;
  }

  /** The same for the last 1..3 rows. */
  private static void blockEdge(
      float[] a, int aOff, int lda, int rows, float[] b, int bOff, int k, double[] block) {
    for (int r = 0; r < rows; r++) {
      int ar = aOff + r * lda;
      double c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (int p = 0; p < k; p++) {
        int bp = bOff + p * PANEL;
        double x = a[ar + p];
        c0 = Math.fma(x, b[bp], c0);
        c1 = Math.fma(x, b[bp + 1], c1);
        c2 = Math.fma(x, b[bp + 2], c2);
        c3 = Math.fma(x, b[bp + 3], c3);
      }
      block[r * PANEL] = c0;
      block[r * PANEL + 1] = c1;
      block[r * PANEL + 2] = c2;
      block[r * PANEL + 3] = c3;
    }
  }

  private static void writeBlock(
      double[] block, int rows, int n, int panel, Epilogue e, float[] out, int outRow) {
    int col0 = panel * PANEL;
    int cols = Math.min(PANEL, n - col0);
    for (int r = 0; r < rows; r++) {
      int outOff = (outRow + r) * n + col0;
      for (int j = 0; j < cols; j++) {
        double v = block[r * PANEL + j];
        if (e.bias() != null) {
          v += e.bias()[col0 + j];
        }
        v = Activations.apply(e.activation(), v);
        if (e.scale() != null) {
          v *= e.scale()[col0 + j];
        }
        if (e.residual() != null) {
          v += e.residual()[outOff + j];
        }
        out[outOff + j] = (float) v;
      }
    }
  }
}
