package io.vicinity.kernels.cuda;

import static io.vicinity.kernels.cuda.CudaTestSupport.assertClose;
import static io.vicinity.kernels.cuda.CudaTestSupport.random;
import static io.vicinity.kernels.cuda.CudaTestSupport.roundTrip;
import static io.vicinity.kernels.cuda.CudaTestSupport.tolerance;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.NaParams;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fused and generic NA kernels against a double-precision brute-force loop of the spec and against the CPU
 * backend: kernel 3..13, dilation 1..8 with lengths not divisible by it, non-square maps, head dims 32/64
 * (fused path) and others (generic path), with and without bias, plus a shape past 2^31 elements.
 */
class CudaNeighborhoodAttentionTest {

  /** (kernel, dilation, H, W, heads, headDim) */
  static Stream<Arguments> cases() {
    int[][] c = {
        {3, 1, 9, 12, 2, 32}, {5, 2, 13, 11, 2, 32}, {7, 1, 16, 20, 2, 32}, {7, 3, 23, 22, 4, 32},
        {7, 4, 29, 30, 2, 64}, {7, 8, 56, 57, 2, 32}, {9, 2, 19, 23, 2, 64}, {11, 1, 13, 17, 1, 32},
        {13, 1, 15, 14, 2, 64}, {13, 2, 27, 26, 1, 32}, {3, 5, 17, 16, 2, 16}, {5, 6, 31, 33, 2, 48},
        {3, 7, 22, 23, 3, 32}, {7, 1, 7, 9, 2, 32}, {7, 6, 45, 43, 1, 64}, {9, 1, 30, 9, 2, 32}};
    List<Arguments> out = new ArrayList<>();
    for (DType t : DType.values()) {
      for (int[] x : c) {
        out.add(Arguments.of(t, x[0], x[1], x[2], x[3], x[4], x[5], x[0] != 9));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} k={1} d={2} {3}x{4} heads={5} D={6} rpb={7}")
  @MethodSource("cases")
  void matchesBruteForce(DType t, int k, int d, int h, int w, int heads, int dim, boolean withRpb) {
    CudaBackend gpu = CudaTestSupport.gpu(t);
    Random rnd = new Random(System.nanoTime());
    int b = 2;
    int[] qs = {b, h, w, 3 * heads * dim};
    int[] rs = {heads, 2 * k - 1, 2 * k - 1};
    float[] qkv = roundTrip(gpu, random(rnd, (long) b * h * w * 3 * heads * dim, 1.0), qs);
    float[] rpb = withRpb ? roundTrip(gpu, random(rnd, (long) heads * rs[1] * rs[2], 1.0), rs) : null;
    float[] want = NaReference.compute(qkv, rpb, b, h, w, heads, dim, k, d);
    NaParams p = new NaParams(heads, k, d);
    String name = String.format("na2d %s k=%d d=%d %dx%d heads=%d D=%d %s", t, k, d, h, w, heads, dim,
        KernelCatalog.naPath(t, dim, k, 227 * 1024));
    try (Arena a = gpu.openArena("na")) {
      Tensor q = gpu.fromHost(qkv, qs);
      Tensor r = withRpb ? gpu.fromHost(rpb, rs) : null;
      assertClose(name, gpu.toHost(gpu.neighborhoodAttention2d(q, r, p)), want, tolerance(t));
      assertClose(name + " generic", gpu.toHost(gpu.neighborhoodAttention2dGeneric(q, r, p)), want, tolerance(t));
    }
    if (t == DType.F32) {
      try (CpuBackend cpu = new CpuBackend(); Arena a = cpu.openArena("na-cpu")) {
        Tensor q = cpu.fromHost(qkv, qs);
        Tensor r = withRpb ? cpu.fromHost(rpb, rs) : null;
        assertClose(name + " CPU backend vs brute force", cpu.toHost(cpu.neighborhoodAttention2d(q, r, p)), want, 1e-5);
      }
    }
  }

  /** qkv of 2500 x 48 x 48 x 384 bf16 elements (> 2^31): only the last batch element is filled and checked. */
  @Test
  void largeShapePast32BitIndices() {
    CudaBackend gpu = CudaTestSupport.gpu(DType.BF16);
    int b = 2500;
    int h = 48;
    int w = 48;
    int heads = 4;
    int dim = 32;
    int k = 7;
    int d = 2;
    long perBatch = (long) h * w * 3 * heads * dim;
    assumeTrue(b * perBatch > Integer.MAX_VALUE);
    Random rnd = new Random(System.nanoTime());
    float[] last = random(rnd, perBatch, 1.0);
    float[] rpb = random(rnd, (long) heads * (2 * k - 1) * (2 * k - 1), 1.0);
    NaParams p = new NaParams(heads, k, d);
    try (Arena a = gpu.openArena("na-large")) {
      Tensor qkv = gpu.allocate(b, h, w, 3 * heads * dim);
      gpu.upload(qkv, (b - 1) * perBatch, last);
      float[] lastRounded = gpu.download(qkv, (b - 1) * perBatch, (int) perBatch);
      Tensor r = gpu.fromHost(rpb, heads, 2 * k - 1, 2 * k - 1);
      float[] rpbRounded = gpu.toHost(r);
      float[] want = NaReference.compute(lastRounded, rpbRounded, 1, h, w, heads, dim, k, d);
      long outPerBatch = (long) h * w * heads * dim;
      Tensor out = gpu.neighborhoodAttention2d(qkv, r, p);
      assertClose("na2d large fused (last of " + b + " images)", gpu.download(out, (b - 1) * outPerBatch, (int) outPerBatch),
          want, tolerance(DType.BF16));
      out.close();
      Tensor gen = gpu.neighborhoodAttention2dGeneric(qkv, r, p);
      assertClose("na2d large generic (last of " + b + " images)", gpu.download(gen, (b - 1) * outPerBatch, (int) outPerBatch),
          want, tolerance(DType.BF16));
    }
  }
}
