package io.vicinity.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** How classMaps splits a flat download among the images, whatever the staging pieces' bounds (CPU only). */
class ForEachImageTest {
  @Test
  void piecesOfAnySizeRebuildEveryImage() {
    int[] sizes = {5, 1, 0, 9, 3};
    long[] first = new long[sizes.length + 1];
    for (int i = 0; i < sizes.length; i++) {
      first[i + 1] = first[i] + sizes[i];
    }
    int total = (int) first[sizes.length];
    for (int piece = 1; piece <= total; piece++) {
      int[][] images = new int[sizes.length][];
      for (int i = 0; i < sizes.length; i++) {
        images[i] = new int[sizes[i]];
      }
      for (int off = 0; off < total; off += piece) {
        int len = Math.min(piece, total - off);
        int[] staged = new int[len]; // the piece holds the flat indexes off..off+len-1
        for (int k = 0; k < len; k++) {
          staged[k] = off + k;
        }
        CudaBackend.forEachImage(first, off, len, (i, from, at, n) -> System.arraycopy(staged, from, images[i], at, n));
      }
      for (int i = 0; i < sizes.length; i++) {
        int[] want = new int[sizes[i]];
        for (int k = 0; k < want.length; k++) {
          want[k] = (int) first[i] + k;
        }
        assertArrayEquals(want, images[i], "image " + i + " with pieces of " + piece);
      }
    }
  }
}
