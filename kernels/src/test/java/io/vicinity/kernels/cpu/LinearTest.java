package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.cpu.TestData.assertClose;
import static io.vicinity.kernels.cpu.TestData.assertCloseScaled;
import static io.vicinity.kernels.cpu.TestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.vicinity.kernels.Activation;
import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LinearTest {
  private final CpuBackend cpu = new CpuBackend(2, true);
  private final Arena arena = cpu.openArena("linear-test");

  @AfterEach
  void close() {
    arena.close();
    cpu.close();
  }

  /** x [rows, in] . W[out, in]^T + bias, then act, scale, residual: in double, one element at a time. */
  private static double[] naiveLinear(
      float[] x, int rows, int in, float[] w, int out, float[] bias, Activation act, float[] scale,
      float[] residual, double[] magnitude) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double sum = bias == null ? 0 : bias[o];
        double mag = bias == null ? 0 : Math.abs(bias[o]);
        for (int i = 0; i < in; i++) {
          sum += (double) x[r * in + i] * w[o * in + i];
          mag += Math.abs((double) x[r * in + i] * w[o * in + i]);
        }
        double v = act == Activation.GELU ? referenceGelu(sum) : act == Activation.RELU ? Math.max(0, sum) : sum;
        if (scale != null) {
          v *= scale[o];
          mag *= Math.abs(scale[o]);
        }
        if (residual != null) {
          v += residual[r * out + o];
        }
        y[r * out + o] = v;
        magnitude[r * out + o] = mag + 1;
      }
    }
    return y;
  }

  /** GELU from the test's own erf (ErfTest checks it against a high-precision series). */
  static double referenceGelu(double x) {
    return 0.5 * x * (1 + ErfTest.referenceErf(x / Math.sqrt(2)));
  }

  @ParameterizedTest(name = "rows={0} in={1} out={2} act={3} bias={4} scale={5} residual={6}")
  @CsvSource({
    "1, 1, 1, NONE, false, false, false",
    "7, 5, 3, NONE, true, false, false",
    "9, 64, 192, GELU, true, false, false",
    "18, 37, 13, RELU, true, true, true",
    "64, 96, 70, NONE, false, true, true",
    "5, 2048, 9, NONE, true, false, false",
    "130, 24, 3, GELU, false, true, false",
  })
  void matchesNaiveLoop(int rows, int in, int out, Activation act, boolean bias, boolean scale, boolean residual) {
    Random random = new Random(rows * 31L + in * 7L + out);
    float[] x = gaussian(random, rows * in);
    float[] w = gaussian(random, out * in);
    float[] b = bias ? gaussian(random, out) : null;
    float[] s = scale ? gaussian(random, out) : null;
    float[] res = residual ? gaussian(random, rows * out) : null;
    // Split the rows over two leading axes when possible: linear treats all leading axes as rows.
    int[] xShape = rows % 2 == 0 ? new int[] {2, rows / 2, in} : new int[] {rows, in};
    int[] outShape = xShape.clone();
    outShape[outShape.length - 1] = out;
    Tensor result =
        cpu.linear(
            cpu.fromHost(x, xShape),
            cpu.fromHost(w, out, in),
            b == null ? null : cpu.fromHost(b, out),
            new Epilogue(act, s == null ? null : cpu.fromHost(s, out), res == null ? null : cpu.fromHost(res, outShape)));
    assertArrayEquals(outShape, result.shape());
    double[] magnitude = new double[rows * out];
    double[] expected = naiveLinear(x, rows, in, w, out, b, act, s, res, magnitude);
    // Double accumulation: only the final rounding to float and the GELU's own error remain.
    assertCloseScaled("linear", expected, magnitude, cpu.toHost(result), 1e-6);
  }

  @Test
  void repeatedCallsReuseThePackedWeight() {
    Random random = new Random(5);
    int rows = 6;
    float[] x = gaussian(random, rows * 12);
    float[] w = gaussian(random, 4 * 12);
    Tensor weight = cpu.fromHost(w, 4, 12);
    double[] expected = naiveLinear(x, rows, 12, w, 4, null, Activation.NONE, null, null, new double[rows * 4]);
    Tensor first = cpu.linear(cpu.fromHost(x, rows, 12), weight, null, Epilogue.NONE);
    Tensor second = cpu.linear(cpu.fromHost(x, rows, 12), weight, null, Epilogue.NONE);
    assertClose("first call", expected, cpu.toHost(first), 1e-5);
    assertClose("second call (cached packing)", expected, cpu.toHost(second), 1e-5);

  }
}
