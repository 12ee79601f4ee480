package io.vicinity.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Tensor;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/** Shared test plumbing: one GPU backend per dtype (debug mode: NaN-poisoned blocks, checked launches). */
final class CudaTestSupport {
  private static final Map<DType, CudaBackend> BACKENDS = new EnumMap<>(DType.class);

  private CudaTestSupport() {}

  /**
   * On a GPU where the wgmma kernels run, runs {@code cases} again with them switched off (the kernels the other
   * GPUs take, checked on the same GPU); elsewhere the test is skipped: the cases already ran those kernels.
   */
  static void withoutWgmma(DType dtype, Runnable cases) {
    CudaBackend gpu = gpu(dtype);
    assumeTrue(gpu.device().wgmma, () -> "no wgmma on " + gpu.describe() + ": the other kernels already ran");
    System.setProperty("vicinity.cuda.wgmma", "false");
    try {
      cases.run();
    } finally {
      System.clearProperty("vicinity.cuda.wgmma");
    }
  }

  /** The backend for {@code dtype}, or the test is skipped (no GPU, no driver, no fatbin) with the reason. */
  static synchronized CudaBackend gpu(DType dtype) {
    System.setProperty(CudaBackend.DEBUG_PROPERTY, "true");
    CudaAvailability a = CudaBackend.availability();
    assumeTrue(a.available(), () -> "CUDA backend not available: " + a);
    return BACKENDS.computeIfAbsent(dtype, t -> CudaBackend.create(0, t));
  }

  /** Relative L2 tolerance per storage dtype (fp32 accumulation everywhere). */
  static double tolerance(DType t) {
    return switch (t) {
      case F32 -> 1e-5;
      case BF16 -> 1e-2;
      case F16 -> 2e-3;
    };
  }

  static float[] random(Random rnd, long n, double scale) {
    float[] a = new float[Math.toIntExact(n)];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rnd.nextGaussian() * scale);
    }
    return a;
  }

  /** Uploads {@code data} to the GPU and returns the values as stored there (rounded to its dtype). */
  static float[] roundTrip(Backend gpu, float[] data, int... shape) {
    try (Tensor t = gpu.fromHost(data, shape)) {
      return gpu.toHost(t);
    }
  }

  /** Asserts every element was written (no NaN from the poison) and ||got - want|| / ||want|| <= tol. */
  static void assertClose(String what, float[] got, float[] want, double tol) {
    assertTrue(got.length == want.length, what + ": length " + got.length + " != " + want.length);
    double num = 0;
    double den = 0;
    int worst = 0;
    double worstErr = 0;
    for (int i = 0; i < got.length; i++) {
      assertTrue(Float.isFinite(got[i]), what + ": element " + i + " is " + got[i] + " (unwritten or overflow)");
      double e = got[i] - (double) want[i];
      num += e * e;
      den += (double) want[i] * want[i];
      if (Math.abs(e) > worstErr) {
        worstErr = Math.abs(e);
        worst = i;
      }
    }
    double rel = Math.sqrt(num / Math.max(den, 1e-30));
    String msg = String.format("%s: rel L2 error %.3g (tol %.1g), worst at %d: got %g want %g",
        what, rel, tol, worst, got[worst], want[worst]);
    System.out.println("[cuda-test] " + msg);
    assertTrue(rel <= tol, msg);
  }

  /**
   * Asserts no row of {@code width} consecutive values (one query's output in one head) is off by more than
   * {@code tol} times the typical row's norm: a fault confined to a few rows (a tile's edge) hides in the whole
   * tensor's error. Normalised by the mean row norm, not the row's own, so rows that average to near zero with
   * ordinary rounding errors pass.
   */
  static void assertRowsClose(String what, float[] got, float[] want, int width, double tol) {
    int rows = want.length / width;
    double den = 0;
    for (float w : want) {
      den += (double) w * w;
    }
    double typical = Math.sqrt(den / Math.max(rows, 1));
    double worst = 0;
    int worstRow = 0;
    for (int r = 0; r < rows; r++) {
      double num = 0;
      for (int i = r * width; i < (r + 1) * width; i++) {
        double e = got[i] - (double) want[i];
        num += e * e;
      }
      double rel = Math.sqrt(num) / Math.max(typical, 1e-30);
      if (rel > worst) {
        worst = rel;
        worstRow = r;
      }
    }
    String msg = String.format("%s: worst row %d of %d off by %.3g of a typical row's norm (tol %.1g)",
        what, worstRow, rows, worst, tol);
    System.out.println("[cuda-test] " + msg);
    assertTrue(worst <= tol, msg);
  }
}
