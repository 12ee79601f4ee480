package io.vicinity.kernels.cpu;

/**
 * The right-hand matrix of {@code out = A B^T} (B is [n, k], PyTorch's [out, in]) repacked into column
 * panels of {@link #PANEL} outputs: panel p holds rows {@code p*PANEL ..} of B transposed, as [k][PANEL],
 * zero-padded past n, so the micro-kernel reads its PANEL weights for one depth step from one place.
 */
final class PackedMatrix {
  static final int PANEL = 4;

  final int n;
  final int k;
  final float[] panels;

  private PackedMatrix(int n, int k, float[] panels) {
    this.n = n;
    this.k = k;
    this.panels = panels;
  }

  int panelCount() {
    return (n + PANEL - 1) / PANEL;
  }

  /** Packs B given as [n, k] row-major. */
  static PackedMatrix ofRows(float[] b, int n, int k) {
    return ofRows(n, k, (row, col) -> b[row * k + col]);
  }

  /** Packs a B whose element (row, col) is read through {@code source} (e.g. a reordered conv weight). */
  static PackedMatrix ofRows(int n, int k, ElementSource source) {
    int panelCount = (n + PANEL - 1) / PANEL;
    float[] panels = new float[Math.multiplyExact(Math.multiplyExact(panelCount, k), PANEL)];
    for (int row = 0; row < n; row++) {
      int base = (row / PANEL) * k * PANEL + row % PANEL;
      for (int col = 0; col < k; col++) {
        panels[base + col * PANEL] = source.get(row, col);
      }
    }
    return new PackedMatrix(n, k, panels);
  }

  interface ElementSource {
    float get(int row, int col);
  }
}
