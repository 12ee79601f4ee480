package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.cpu.TestData.assertClose;
import static io.vicinity.kernels.cpu.TestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.NaParams;
import io.vicinity.kernels.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NeighborhoodAttentionTest {
  private final CpuBackend cpu = new CpuBackend(2, true);
  private final Arena arena = cpu.openArena("na-test");

  @AfterEach
  void close() {
    arena.close();
    cpu.close();
  }

  /**
   * One axis, by exhaustive search rather than the spec's formula: among all runs of k consecutive
   * members of the query's dilation group, the run whose middle member is nearest the query.
   */
  static List<Integer> axisNeighbours(int length, int k, int d, int query) {
    List<Integer> group = new ArrayList<>();
    for (int pos = query % d; pos < length; pos += d) {
      group.add(pos);
    }
    int best = 0;
    for (int first = 1; first + k <= group.size(); first++) {
      if (Math.abs(group.get(first + k / 2) - query) < Math.abs(group.get(best + k / 2) - query)) {
        best = first;
      }
    }
    return group.subList(best, best + k);
  }

  /** Brute-force attention in double: per query and head, list the neighbours, softmax, weighted sum. */
  static double[] bruteForce(float[] qkv, float[] rpb, int b, int h, int w, int c, int heads, int k, int d) {
    int hd = c / heads;
    int side = 2 * k - 1;
    double[] out = new double[b * h * w * c];
    for (int n = 0; n < b; n++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int head = 0; head < heads; head++) {
            List<int[]> keys = new ArrayList<>();
            List<Double> scores = new ArrayList<>();
            for (int ky : axisNeighbours(h, k, d, y)) {
              for (int kx : axisNeighbours(w, k, d, x)) {
                double s = 0;
                for (int i = 0; i < hd; i++) {
                  double q = qkv[(((n * h + y) * w + x) * 3 * c) + head * hd + i] / Math.sqrt(hd);
                  s += q * qkv[(((n * h + ky) * w + kx) * 3 * c) + c + head * hd + i];
                }
                if (rpb != null) {
                  int by = (k - 1) + (ky - y) / d;
                  int bx = (k - 1) + (kx - x) / d;
                  s += rpb[(head * side + by) * side + bx];
                }
                keys.add(new int[] {ky, kx});
                scores.add(s);
              }
            }
            double max = scores.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            double total = scores.stream().mapToDouble(s -> Math.exp(s - max)).sum();
            for (int t = 0; t < keys.size(); t++) {
              double p = Math.exp(scores.get(t) - max) / total;
              int ky = keys.get(t)[0];
              int kx = keys.get(t)[1];
              for (int i = 0; i < hd; i++) {
                out[((n * h + y) * w + x) * c + head * hd + i] +=
                    p * qkv[(((n * h + ky) * w + kx) * 3 * c) + 2 * c + head * hd + i];
              }
            }
          }
        }
      }
    }
    return out;
  }

  @ParameterizedTest(name = "B={0} H={1} W={2} C={3} heads={4} k={5} d={6} rpb={7}")
  @CsvSource({
    // every kernel size, dilations 1..4, non-square maps whose sides are not multiples of d
    "1, 3, 3, 4, 1, 3, 1, true",
    "2, 7, 9, 8, 2, 3, 2, true",
    "1, 11, 8, 6, 3, 5, 1, false",
    "2, 13, 11, 8, 2, 5, 2, true",
    "1, 16, 15, 4, 1, 5, 3, true",
    "2, 9, 12, 12, 3, 7, 1, true",
    "1, 15, 17, 4, 2, 7, 2, false",
    "1, 22, 23, 4, 1, 7, 3, true",
    "1, 29, 30, 8, 2, 7, 4, true",
    "2, 10, 9, 4, 1, 9, 1, true",
    "1, 19, 21, 4, 2, 9, 2, true",
    "1, 13, 14, 4, 1, 13, 1, true",
    "1, 27, 26, 4, 2, 13, 2, false",
    "1, 53, 55, 2, 1, 13, 4, true",
  })
  void matchesBruteForce(int b, int h, int w, int c, int heads, int k, int d, boolean withRpb) {
    Random random = new Random(h * 1000L + w * 10L + k + d);
    float[] qkv = gaussian(random, b * h * w * 3 * c);
    for (int i = 0; i < qkv.length; i++) {
      qkv[i] *= 1.5f; // peakier softmax than unit variance gives
    }
    float[] rpb = withRpb ? gaussian(random, heads * (2 * k - 1) * (2 * k - 1)) : null;
    Tensor out =
        cpu.neighborhoodAttention2d(
            cpu.fromHost(qkv, b, h, w, 3 * c),
            rpb == null ? null : cpu.fromHost(rpb, heads, 2 * k - 1, 2 * k - 1),
            new NaParams(heads, k, d));
    assertArrayEquals(new int[] {b, h, w, c}, out.shape());
    assertClose("na2d", bruteForce(qkv, rpb, b, h, w, c, heads, k, d), cpu.toHost(out), 2e-6);
  }

  @Test
  void rejectsMapsSmallerThanTheDilatedKernelAndBadShapes() {
    Tensor qkv = cpu.fromHost(new float[1 * 13 * 14 * 12], 1, 13, 14, 12);
    IllegalArgumentException tooSmall =
        assertThrows(IllegalArgumentException.class,
            () -> cpu.neighborhoodAttention2d(qkv, null, new NaParams(2, 7, 2)));
    assertTrue(tooSmall.getMessage().contains("neighborhoodAttention2d")
        && tooSmall.getMessage().contains("[1, 13, 14, 12]"), tooSmall.getMessage());
    Tensor badRpb = cpu.fromHost(new float[2 * 5 * 5], 2, 5, 5);
    IllegalArgumentException rpb =
        assertThrows(IllegalArgumentException.class,
            () -> cpu.neighborhoodAttention2d(qkv, badRpb, new NaParams(2, 7, 1)));
    assertTrue(rpb.getMessage().contains("[2, 5, 5]") && rpb.getMessage().contains("[2, 13, 13]"), rpb.getMessage());
    IllegalArgumentException heads =
        assertThrows(IllegalArgumentException.class,
            () -> cpu.neighborhoodAttention2d(qkv, null, new NaParams(3, 3, 1)));
    assertTrue(heads.getMessage().contains("heads=3"), heads.getMessage());
  }
}
