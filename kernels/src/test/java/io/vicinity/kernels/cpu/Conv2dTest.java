package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.cpu.TestData.assertCloseScaled;
import static io.vicinity.kernels.cpu.TestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Conv2dTest {
  private final CpuBackend cpu = new CpuBackend(2, true);
  private final Arena arena = cpu.openArena("conv-test");

  @AfterEach
  void close() {
    arena.close();
    cpu.close();
  }

  @ParameterizedTest(name = "B={0} {1}x{2}x{3} -> {4} k={5}x{6} stride={7} pad={8}")
  @CsvSource({
    "1, 5, 5, 1, 1, 1, 1, 1, 0",
    "2, 9, 7, 3, 32, 3, 3, 2, 1",
    "1, 12, 10, 5, 7, 3, 3, 1, 1",
    "3, 11, 13, 4, 6, 2, 3, 2, 0",
    "1, 16, 16, 3, 9, 4, 4, 4, 0",
    "1, 15, 14, 8, 5, 7, 7, 2, 3",
  })
  void matchesNaiveLoop(int b, int h, int w, int cin, int cout, int kh, int kw, int stride, int pad) {
    Random random = new Random(b + h * 7L + w * 13L + cin * 17L + cout * 19L + kh);
    float[] x = gaussian(random, b * h * w * cin);
    float[] weight = gaussian(random, cout * cin * kh * kw);
    float[] bias = gaussian(random, cout);
    int ho = (h + 2 * pad - kh) / stride + 1;
    int wo = (w + 2 * pad - kw) / stride + 1;
    double[] expected = new double[b * ho * wo * cout];
    double[] magnitude = new double[expected.length];
    for (int n = 0; n < b; n++) {
      for (int oy = 0; oy < ho; oy++) {
        for (int ox = 0; ox < wo; ox++) {
          for (int co = 0; co < cout; co++) {
            double sum = bias[co];
            double mag = Math.abs(bias[co]);
            for (int ci = 0; ci < cin; ci++) {
              for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                  int iy = oy * stride + ky - pad;
                  int ix = ox * stride + kx - pad;
                  if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                    double term = (double) x[((n * h + iy) * w + ix) * cin + ci]
                        * weight[((co * cin + ci) * kh + ky) * kw + kx];
                    sum += term;
                    mag += Math.abs(term);
                  }
                }
              }
            }
            int o = ((n * ho + oy) * wo + ox) * cout + co;
            expected[o] = sum;
            magnitude[o] = mag;
          }
        }
      }
    }
    Tensor out = cpu.conv2d(
        cpu.fromHost(x, b, h, w, cin), cpu.fromHost(weight, cout, cin, kh, kw), cpu.fromHost(bias, cout), stride, pad);
    assertArrayEquals(new int[] {b, ho, wo, cout}, out.shape());
    assertCloseScaled("conv2d", expected, magnitude, cpu.toHost(out), 1e-6);
  }

  @Test
  void mismatchedChannelsNameTheOperatorAndShapes() {
    Tensor x = cpu.fromHost(new float[2 * 4 * 4 * 3], 2, 4, 4, 3);
    Tensor w = cpu.fromHost(new float[8 * 4 * 3 * 3], 8, 4, 3, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.conv2d(x, w, null, 1, 1));
    assertTrue(e.getMessage().startsWith("conv2d:") && e.getMessage().contains("[2, 4, 4, 3]")
        && e.getMessage().contains("[8, 4, 3, 3]"), e.getMessage());
  }
}
