package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.cpu.TestData.assertClose;
import static io.vicinity.kernels.cpu.TestData.gaussian;
import static io.vicinity.kernels.cpu.TestData.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Activation;
import io.vicinity.kernels.Arena;
import io.vicinity.kernels.ClassMaps;
import io.vicinity.kernels.Tensor;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Norms, softmax, element-wise and spatial operators against naive double loops. */
class RowAndMapOpsTest {
  private final CpuBackend cpu = new CpuBackend(2, true);
  private final Arena arena = cpu.openArena("row-map-test");
  private final Random random = new Random(99);

  @AfterEach
  void close() {
    arena.close();
    cpu.close();
  }

  @Test
  void layerNormUsesTheBiasedVariance() {
    int rows = 37;
    int n = 70;
    float[] x = gaussian(random, rows * n);
    for (int i = 0; i < x.length; i++) {
      x[i] = x[i] * 3 + 5; // an offset mean exposes one-pass variance formulas
    }
    float[] g = gaussian(random, n);
    float[] b = gaussian(random, n);
    double[] expected = new double[rows * n];
    for (int r = 0; r < rows; r++) {
      double mean = 0;
      for (int i = 0; i < n; i++) {
        mean += x[r * n + i] / (double) n;
      }
      double var = 0;
      for (int i = 0; i < n; i++) {
        var += Math.pow(x[r * n + i] - mean, 2) / n;
      }
      for (int i = 0; i < n; i++) {
        expected[r * n + i] = (x[r * n + i] - mean) / Math.sqrt(var + 1e-5) * g[i] + b[i];
      }
    }
    Tensor out = cpu.layerNorm(cpu.fromHost(x, rows, n), cpu.fromHost(g, n), cpu.fromHost(b, n), 1e-5f);
    assertClose("layerNorm", expected, cpu.toHost(out), 2e-6);
  }

  @Test
  void batchNormEvalWithAndWithoutRelu() {
    int c = 11;
    int[] shape = {2, 3, 5, c};
    float[] x = gaussian(random, TestData.numel(shape));
    float[] mean = gaussian(random, c);
    float[] var = uniform(random, c, 0.1, 3);
    float[] g = gaussian(random, c);
    float[] b = gaussian(random, c);
    for (boolean relu : new boolean[] {false, true}) {
      double[] expected = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        int ch = i % c;
        double v = (x[i] - mean[ch]) / Math.sqrt(var[ch] + 1e-3) * g[ch] + b[ch];
        expected[i] = relu ? Math.max(0, v) : v;
      }
      Tensor out = cpu.batchNorm(cpu.fromHost(x, shape), cpu.fromHost(mean, c), cpu.fromHost(var, c),
          cpu.fromHost(g, c), cpu.fromHost(b, c), 1e-3f, relu);
      assertClose("batchNorm relu=" + relu, expected, cpu.toHost(out), 2e-6);
    }
  }

  @Test
  void softmaxIsStableForLargeLogits() {
    int rows = 9;
    int n = 1000;
    float[] x = gaussian(random, rows * n);
    for (int i = 0; i < x.length; i++) {
      x[i] = x[i] * 30 + 500; // exp(500) overflows without the max subtraction
    }
    double[] expected = new double[x.length];
    for (int r = 0; r < rows; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        max = Math.max(max, x[r * n + i]);
      }
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += Math.exp(x[r * n + i] - max);
      }
      for (int i = 0; i < n; i++) {
        expected[r * n + i] = Math.exp(x[r * n + i] - max) / sum;
      }
    }
    assertClose("softmax", expected, cpu.toHost(cpu.softmax(cpu.fromHost(x, rows, n))), 1e-6);
  }

  @Test
  void activationsAndAdd() {
    float[] x = uniform(random, 1200, -12, 12);
    float[] y = gaussian(random, 1200);
    Tensor tx = cpu.fromHost(x, 12, 100);
    double[] gelu = new double[x.length];
    double[] relu = new double[x.length];
    double[] none = new double[x.length];
    double[] sum = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      gelu[i] = LinearTest.referenceGelu(x[i]);
      relu[i] = Math.max(0, x[i]);
      none[i] = x[i];
      sum[i] = (double) x[i] + y[i];
    }
    assertClose("gelu", gelu, cpu.toHost(cpu.activation(tx, Activation.GELU)), 1e-7);
    assertClose("relu", relu, cpu.toHost(cpu.activation(tx, Activation.RELU)), 0);
    assertClose("none", none, cpu.toHost(cpu.activation(tx, Activation.NONE)), 0);
    assertClose("add", sum, cpu.toHost(cpu.add(tx, cpu.fromHost(y, 12, 100))), 1e-7);
  }

  @Test
  void concatLastPlacesEachInputsColumnsInOrder() {
    float[] a = gaussian(random, 2 * 3 * 4);
    float[] b = gaussian(random, 2 * 3 * 1);
    float[] c = gaussian(random, 2 * 3 * 5);
    Tensor out = cpu.concatLast(cpu.fromHost(a, 2, 3, 4), cpu.fromHost(b, 2, 3, 1), cpu.fromHost(c, 2, 3, 5));
    assertArrayEquals(new int[] {2, 3, 10}, out.shape());
    double[] expected = new double[60];
    for (int r = 0; r < 6; r++) {
      for (int j = 0; j < 10; j++) {
        expected[r * 10 + j] = j < 4 ? a[r * 4 + j] : j < 5 ? b[r] : c[r * 5 + j - 5];
      }
    }
    assertClose("concatLast", expected, cpu.toHost(out), 0);
  }

  @Test
  void padThenCropRoundTripsAndPadsWithZeros() {
    int[] shape = {2, 5, 3, 4};
    float[] x = gaussian(random, TestData.numel(shape));
    Tensor padded = cpu.pad2d(cpu.fromHost(x, shape), 2, 3);
    assertArrayEquals(new int[] {2, 7, 6, 4}, padded.shape());
    double[] expected = new double[2 * 7 * 6 * 4];
    for (int n = 0; n < 2; n++) {
      for (int y = 0; y < 5; y++) {
        for (int xx = 0; xx < 3; xx++) {
          for (int ch = 0; ch < 4; ch++) {
            expected[((n * 7 + y) * 6 + xx) * 4 + ch] = x[((n * 5 + y) * 3 + xx) * 4 + ch];
          }
        }
      }
    }
    assertClose("pad2d", expected, cpu.toHost(padded), 0);
    double[] original = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      original[i] = x[i];
    }
    assertClose("crop2d", original, cpu.toHost(cpu.crop2d(padded, 5, 3)), 0);
  }

  @Test
  void meanPoolAveragesEveryMiddleAxis() {
    int[] shape = {3, 4, 5, 6};
    float[] x = gaussian(random, TestData.numel(shape));
    double[] expected = new double[3 * 6];
    for (int i = 0; i < x.length; i++) {
      expected[(i / (4 * 5 * 6)) * 6 + i % 6] += x[i] / 20.0;
    }
    Tensor out = cpu.meanPool(cpu.fromHost(x, shape));
    assertArrayEquals(new int[] {3, 6}, out.shape());
    assertClose("meanPool", expected, cpu.toHost(out), 1e-6);
  }

  @ParameterizedTest(name = "{1}x{2} -> {3}x{4}")
  @CsvSource({"2, 7, 5, 3, 2", "1, 6, 6, 1, 1", "1, 10, 9, 10, 9", "2, 5, 13, 2, 6", "1, 3, 4, 7, 2"})
  void adaptiveAvgPoolUsesTorchBins(int b, int h, int w, int oh, int ow) {
    int c = 3;
    float[] x = gaussian(random, b * h * w * c);
    double[] expected = new double[b * oh * ow * c];
    for (int n = 0; n < b; n++) {
      for (int oy = 0; oy < oh; oy++) {
        int y0 = (int) Math.floor((double) oy * h / oh);
        int y1 = (int) Math.ceil((double) (oy + 1) * h / oh);
        for (int ox = 0; ox < ow; ox++) {
          int x0 = (int) Math.floor((double) ox * w / ow);
          int x1 = (int) Math.ceil((double) (ox + 1) * w / ow);
          for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int y = y0; y < y1; y++) {
              for (int xx = x0; xx < x1; xx++) {
                sum += x[((n * h + y) * w + xx) * c + ch];
              }
            }
            expected[((n * oh + oy) * ow + ox) * c + ch] = sum / ((y1 - y0) * (x1 - x0));
          }
        }
      }
    }
    Tensor out = cpu.adaptiveAvgPool2d(cpu.fromHost(x, b, h, w, c), oh, ow);
    assertClose("adaptiveAvgPool2d", expected, cpu.toHost(out), 1e-6);
  }

  @ParameterizedTest(name = "{0}x{1} -> {2}x{3} alignCorners={4}")
  @CsvSource({
    "4, 5, 8, 10, false", "4, 5, 8, 10, true", "9, 7, 4, 3, false", "9, 7, 4, 3, true",
    "6, 6, 1, 1, false", "6, 6, 1, 1, true", "1, 3, 5, 7, false", "5, 4, 13, 2, true",
  })
  void resizeBilinearFollowsTorchInterpolate(int h, int w, int oh, int ow, boolean alignCorners) {
    int b = 2;
    int c = 3;
    float[] x = gaussian(random, b * h * w * c);
    double[] expected = new double[b * oh * ow * c];
    double[] xd = doubles(x);
    for (int n = 0; n < b; n++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          for (int ch = 0; ch < c; ch++) {
            expected[((n * oh + oy) * ow + ox) * c + ch] = ClassMapReference.sample(xd, n, h, w, c, ch,
                ClassMapReference.source(oy, h, oh, alignCorners), ClassMapReference.source(ox, w, ow, alignCorners));
          }
        }
      }
    }
    Tensor out = cpu.resizeBilinear(cpu.fromHost(x, b, h, w, c), oh, ow, alignCorners);
    assertArrayEquals(new int[] {b, oh, ow, c}, out.shape());
    assertClose("resizeBilinear", expected, cpu.toHost(out), 1e-5);
  }

  /**
   * classMaps against the two resizes done one after the other (naive double loops, the middle map stored) and
   * the arg-max and softmax written out: labels equal wherever the two best classes are not within rounding of
   * each other, probabilities to float precision. Sizes up and down, C below and above one warp's 32 lanes.
   */
  @ParameterizedTest(name = "{0}x{1}x{2} -> {3}x{4} -> {5}x{6} and {7}x{8}")
  @CsvSource({
    "5, 7, 150, 20, 28, 23, 17, 9, 31", "6, 6, 3, 24, 24, 24, 24, 5, 5", "8, 5, 40, 4, 9, 13, 2, 1, 1",
    "3, 4, 33, 3, 4, 3, 4, 7, 6",
  })
  void classMapsFollowTwoResizesThenArgmax(int h, int w, int c, int midH, int midW, int oh0, int ow0, int oh1,
      int ow1) {
    float[] x = gaussian(random, 2 * h * w * c);
    int[] outH = {oh0, oh1};
    int[] outW = {ow0, ow1};
    ClassMaps maps = cpu.classMaps(cpu.fromHost(x, 2, h, w, c), midH, midW, outH, outW, true);
    ClassMapReference.assertMatches("cpu", x, new int[] {2, h, w, c}, midH, midW, outH, outW, maps, 1e-5, 1e-5);
  }

  /** Worked by hand from torch's rule: one row, two pixels, two classes, the middle size the scores' own. */
  @Test
  void classMapsOfAWorkedRow() {
    // pixel 0 says class 0, pixel 1 class 1; width 2 -> 4: sources 0, 0.25, 0.75, 1.25 (clamped to pixel 1)
    ClassMaps maps = cpu.classMaps(cpu.fromHost(new float[] {1, 0, 0, 1}, 1, 1, 2, 2), 1, 2, new int[] {1},
        new int[] {4}, true);
    assertArrayEquals(new int[] {0, 0, 1, 1}, maps.classes()[0]);
    // at x = 1 the scores are (0.75, 0.25): softmax of the best = 1 / (1 + e^-0.5)
    assertEquals(1 / (1 + Math.exp(-0.5)), maps.probabilities()[0][1], 1e-6);
  }

  /** torch.argmax: the first class on ties, a NaN above every number; no probabilities unless asked. */
  @Test
  void classMapsTakeTheFirstOfEqualClassesAndNaNAboveAll() {
    float[] ties = new float[2 * 2 * 3];
    Arrays.fill(ties, 2f);
    ClassMaps tied = cpu.classMaps(cpu.fromHost(ties, 1, 2, 2, 3), 2, 2, new int[] {3}, new int[] {5}, false);
    assertArrayEquals(new int[15], tied.classes()[0]);
    assertNull(tied.probabilities());
    float[] nan = {0, 5, Float.NaN, 1, 9, 2};
    ClassMaps withNaN = cpu.classMaps(cpu.fromHost(nan, 2, 1, 1, 3), 1, 1, new int[] {1, 1}, new int[] {1, 1}, false);
    assertEquals(2, withNaN.classes()[0][0]);
    assertEquals(1, withNaN.classes()[1][0]);
  }

  @Test
  void classMapsNeedOneSizePerImage() {
    Tensor scores = cpu.fromHost(new float[2 * 2 * 2 * 3], 2, 2, 2, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> cpu.classMaps(scores, 4, 4, new int[] {4}, new int[] {4}, false));
    assertTrue(e.getMessage().startsWith("classMaps: need one output size per image"), e.getMessage());
  }

  private static double[] doubles(float[] x) {
    double[] d = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = x[i];
    }
    return d;
  }
}
