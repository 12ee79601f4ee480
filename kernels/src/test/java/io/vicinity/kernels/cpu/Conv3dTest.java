package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.cpu.TestData.assertClose;
import static io.vicinity.kernels.cpu.TestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class Conv3dTest {
  private final CpuBackend cpu = new CpuBackend(2, true);
  private final Arena arena = cpu.openArena("conv3d-test");

  @AfterEach
  void close() {
    arena.close();
    cpu.close();
  }

  /** PyTorch's Conv3d (NCDHW semantics) written as loops over channels-last input, in double. */
  static double[] naive(float[] x, float[] w, float[] bias, int b, int t, int h, int wd, int cin, int cout,
      int kt, int kh, int kw, int st, int sh, int sw) {
    int to = (t - kt) / st + 1;
    int ho = (h - kh) / sh + 1;
    int wo = (wd - kw) / sw + 1;
    double[] out = new double[b * to * ho * wo * cout];
    for (int n = 0; n < b; n++) {
      for (int ot = 0; ot < to; ot++) {
        for (int oy = 0; oy < ho; oy++) {
          for (int ox = 0; ox < wo; ox++) {
            for (int co = 0; co < cout; co++) {
              double s = bias == null ? 0 : bias[co];
              for (int ci = 0; ci < cin; ci++) {
                for (int a = 0; a < kt; a++) {
                  for (int dy = 0; dy < kh; dy++) {
                    for (int dx = 0; dx < kw; dx++) {
                      float xv = x[(((n * t + ot * st + a) * h + oy * sh + dy) * wd + ox * sw + dx) * cin + ci];
                      s += (double) xv * w[(((co * cin + ci) * kt + a) * kh + dy) * kw + dx];
                    }
                  }
                }
              }
              out[(((n * to + ot) * ho + oy) * wo + ox) * cout + co] = s;
            }
          }
        }
      }
    }
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    // b, t, h, w, cin, cout, kt, kh, kw, st, sh, sw, bias
    "2, 8, 32, 32, 3, 48, 2, 8, 8, 2, 8, 8, true", // VideoMAE's tubelet: stride == kernel
    "1, 5, 9, 11, 4, 7, 3, 3, 2, 1, 2, 3, false", // overlapping windows, ragged edges
    "1, 3, 4, 4, 3, 5, 1, 1, 1, 1, 1, 1, true"})
  void matchesNaiveLoops(int b, int t, int h, int w, int cin, int cout, int kt, int kh, int kw, int st, int sh,
      int sw, boolean withBias) {
    Random random = new Random(31L * t + h);
    float[] x = gaussian(random, b * t * h * w * cin);
    float[] weight = gaussian(random, cout * cin * kt * kh * kw);
    float[] bias = withBias ? gaussian(random, cout) : null;
    Tensor out = cpu.conv3d(cpu.fromHost(x, b, t, h, w, cin), cpu.fromHost(weight, cout, cin, kt, kh, kw),
        withBias ? cpu.fromHost(bias, cout) : null, st, sh, sw);
    assertArrayEquals(new int[] {b, (t - kt) / st + 1, (h - kh) / sh + 1, (w - kw) / sw + 1, cout}, out.shape());
    assertClose("conv3d", naive(x, weight, bias, b, t, h, w, cin, cout, kt, kh, kw, st, sh, sw), cpu.toHost(out), 1e-5);
  }

  @Test
  void refusesMismatchedShapes() {
    Tensor x = cpu.fromHost(new float[2 * 4 * 8 * 8 * 3], 2, 4, 8, 8, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> cpu.conv3d(x, cpu.fromHost(new float[6 * 4 * 2 * 2 * 2], 6, 4, 2, 2, 2), null, 2, 2, 2));
    assertTrue(e.getMessage().contains("conv3d") && e.getMessage().contains("[6, 4, 2, 2, 2]"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> cpu.conv3d(x, cpu.fromHost(new float[6 * 3 * 8], 6, 3, 8, 1, 1), null, 1, 1, 1));
  }
}
