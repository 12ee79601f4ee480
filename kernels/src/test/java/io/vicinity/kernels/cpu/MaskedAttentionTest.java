package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.cpu.TestData.assertClose;
import static io.vicinity.kernels.cpu.TestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** selfAttention on the CPU against a dense masked reference in double, for every mask kind. */
class MaskedAttentionTest {
  private static final double TOLERANCE = 2e-5;
  private final CpuBackend cpu = new CpuBackend(2, true);
  private final Arena arena = cpu.openArena("masked-attention-test");

  @AfterEach
  void close() {
    arena.close();
    cpu.close();
  }

  /**
   * The reference: for each query, scores against every key the mask's {@link AttentionMask#allowed} admits
   * (found by testing all n keys), softmax over exactly those, weighted sum of values. All in double.
   */
  static double[] denseMaskedReference(float[] qkv, int batch, int n, int c, int heads, AttentionMask mask) {
    int hd = c / heads;
    double[] out = new double[batch * n * c];
    for (int b = 0; b < batch; b++) {
      for (int q = 0; q < n; q++) {
        for (int h = 0; h < heads; h++) {
          List<Integer> keys = new ArrayList<>();
          List<Double> scores = new ArrayList<>();
          for (int k = 0; k < n; k++) {
            if (!mask.allowed(q, k)) {
              continue;
            }
            double s = 0;
            for (int i = 0; i < hd; i++) {
              s += (double) qkv[((b * n + q) * 3 * c) + h * hd + i] * qkv[((b * n + k) * 3 * c) + c + h * hd + i];
            }
            keys.add(k);
            scores.add(s / Math.sqrt(hd));
          }
          double max = scores.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
          double total = scores.stream().mapToDouble(s -> Math.exp(s - max)).sum();
          for (int t = 0; t < keys.size(); t++) {
            double p = Math.exp(scores.get(t) - max) / total;
            for (int i = 0; i < hd; i++) {
              out[(b * n + q) * c + h * hd + i] += p * qkv[((b * n + keys.get(t)) * 3 * c) + 2 * c + h * hd + i];
            }
          }
        }
      }
    }
    return out;
  }

  private void check(String what, int batch, int[] tokenAxes, int c, int heads, AttentionMask mask, long seed) {
    int n = Arrays.stream(tokenAxes).reduce(1, (a, b) -> a * b);
    float[] data = gaussian(new Random(seed), batch * n * 3 * c);
    int[] shape = new int[tokenAxes.length + 2];
    shape[0] = batch;
    System.arraycopy(tokenAxes, 0, shape, 1, tokenAxes.length);
    shape[shape.length - 1] = 3 * c;
    Tensor out = cpu.selfAttention(cpu.fromHost(data, shape), heads, mask);
    int[] expectedShape = shape.clone();
    expectedShape[expectedShape.length - 1] = c;
    assertArrayEquals(expectedShape, out.shape(), what);
    assertClose(what, denseMaskedReference(data, batch, n, c, heads, mask), cpu.toHost(out), TOLERANCE);
  }

  @Test
  void denseMatchesReference() {
    check("dense", 2, new int[] {37}, 24, 3, AttentionMask.Dense.INSTANCE, 1);
  }

  @Test
  void radialMatchesDenseMaskedReference() {
    check("radial F=8 S=16", 1, new int[] {8 * 16}, 16, 2, new AttentionMask.Radial(8, 16, 1.0, false), 2);
    check("radial far frames + sink", 2, new int[] {20 * 4}, 12, 3, new AttentionMask.Radial(20, 4, 1.5, true), 3);
    check("radial as [B, T, H, W, 3C]", 1, new int[] {12, 3, 2}, 8, 1, new AttentionMask.Radial(12, 6, 0.7, false), 4);
  }

  @Test
  void neighborhood3dMatchesBruteForce() {
    AttentionMask.Neighborhood3d m = new AttentionMask.Neighborhood3d(6, 5, 7, 3, 3, 5, 2, 1, 1);
    check("na3d", 2, new int[] {6, 5, 7}, 12, 2, m, 5);
    // Independent of allowed(): the output for one query uses exactly the exhaustive-search neighbours.
    for (int q : new int[] {0, 17, 100, m.tokens() - 1}) {
      assertEquals(AttentionMaskTest.neighbours3d(m, q), listedKeys(m, q), "na3d keys of query " + q);
    }
  }

  /** The radial path visits only allowed keys: it lists exactly them, so its work is density x dense. */
  @Test
  void radialListsExactlyTheAllowedKeys() {
    for (AttentionMask.Radial m : List.of(new AttentionMask.Radial(16, 16, 1.0, false),
        new AttentionMask.Radial(40, 4, 1.0, true), new AttentionMask.Radial(9, 5, 0.6, false))) {
      long listed = 0;
      for (int q = 0; q < m.tokens(); q++) {
        List<Integer> expected = new ArrayList<>();
        for (int k = 0; k < m.tokens(); k++) {
          if (m.allowed(q, k)) {
            expected.add(k);
          }
        }
        List<Integer> actual = listedKeys(m, q);
        assertEquals(expected, actual, m + " query " + q);
        listed += actual.size();
      }
      assertEquals(m.density(), listed / ((double) m.tokens() * m.tokens()), 1e-15);
    }
  }

  private static List<Integer> listedKeys(AttentionMask m, int query) {
    int tokens = m instanceof AttentionMask.Radial r ? r.tokens() : ((AttentionMask.Neighborhood3d) m).tokens();
    MaskedAttention.KeyLister lister = MaskedAttention.KeyLister.of(m, tokens);
    int[] buffer = new int[lister.maxKeys()];
    int count = lister.list(query, buffer);
    List<Integer> keys = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      keys.add(buffer[i]);
    }
    return keys;
  }

  @Test
  void refusesMismatchedShapes() {
    Tensor qkv = cpu.fromHost(new float[2 * 64 * 36], 2, 64, 36);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> cpu.selfAttention(qkv, 5, AttentionMask.Dense.INSTANCE));
    assertTrue(e.getMessage().contains("selfAttention") && e.getMessage().contains("[2, 64, 36]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> cpu.selfAttention(qkv, 3, new AttentionMask.Radial(4, 15, 1, false)));
    assertTrue(e.getMessage().contains("60 tokens"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> cpu.selfAttention(cpu.fromHost(new float[35], 1, 35), 1, AttentionMask.Dense.INSTANCE));
  }
}
