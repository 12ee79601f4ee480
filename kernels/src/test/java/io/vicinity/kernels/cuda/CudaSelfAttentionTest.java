package io.vicinity.kernels.cuda;

import static io.vicinity.kernels.cuda.CudaTestSupport.assertClose;
import static io.vicinity.kernels.cuda.CudaTestSupport.assertRowsClose;
import static io.vicinity.kernels.cuda.CudaTestSupport.random;
import static io.vicinity.kernels.cuda.CudaTestSupport.roundTrip;
import static io.vicinity.kernels.cuda.CudaTestSupport.tolerance;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * selfAttention (dense, radial, 3-D neighborhood) and conv3d on the GPU against the CPU backend, on fresh
 * random inputs rounded to the GPU dtype, outputs NaN-poisoned (debug pool): token counts that are not
 * multiples of the 64-token tile, radial clips long enough for the sub-sampled far-frame rule, sink on/off,
 * delta != 1, head dims on both kernels (16/32/64/128: tensor cores for 16-bit types; 48 and fp32: generic).
 */
class CudaSelfAttentionTest {
  private static CpuBackend cpu;

  @BeforeAll
  static void open() {
    cpu = new CpuBackend();
  }

  @AfterAll
  static void close() {
    cpu.close();
  }

  static List<AttentionMask> masks() {
    return List.of(
        AttentionMask.Dense.INSTANCE,
        new AttentionMask.Radial(8, 16, 1.0, false),   // the VideoMAE fixtures' shape
        new AttentionMask.Radial(12, 4, 1.0, true),    // far frames (2^r > S): sub-sampled same-position rule
        new AttentionMask.Radial(21, 5, 0.7, false),   // delta < 1, far frames, 105 tokens per 64-tile pair
        new AttentionMask.Radial(5, 50, 2.5, true),    // delta > 1: wide windows, sink
        new AttentionMask.Radial(10, 49, 1.0, false),  // 490 tokens: query tiles straddle frames
        new AttentionMask.Radial(24, 100, 1.0, false), // straddling tiles: two gathered runs per far key frame
        new AttentionMask.Radial(40, 30, 1.0, true),   // a 64-query tile spans 3 frames; sink
        new AttentionMask.Radial(520, 2, 1.0, false),  // more frames than the run table: aligned key tiles
        AttentionMask.Neighborhood3d.cube(5, 6, 7, 3, 1),
        new AttentionMask.Neighborhood3d(6, 7, 9, 3, 3, 5, 2, 1, 1),
        new AttentionMask.Neighborhood3d(8, 6, 10, 3, 3, 3, 1, 2, 3));
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    int[][] headShapes = {{2, 64}, {3, 16}, {1, 32}, {2, 48}, {1, 128}};
    for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16}) {
      List<AttentionMask> ms = masks();
      for (int i = 0; i < ms.size(); i++) {
        int[] hs = headShapes[i % headShapes.length];
        out.add(Arguments.of(t, ms.get(i), hs[0], hs[1]));
        if (i % headShapes.length != 0) {
          out.add(Arguments.of(t, ms.get(i), 2, 64)); // every mask on the benchmark's head dim too
        }
      }
    }
    return out.stream();
  }

  static int tokens(AttentionMask m, int fallback) {
    if (m instanceof AttentionMask.Radial r) {
      return r.tokens();
    }
    if (m instanceof AttentionMask.Neighborhood3d n) {
      return n.tokens();
    }
    return fallback;
  }

  @ParameterizedTest(name = "{0} {1} heads={2} D={3}")
  @MethodSource("cases")
  void matchesCpuBackend(DType t, AttentionMask mask, int heads, int dim) {
    CudaBackend gpu = CudaTestSupport.gpu(t);
    Random rnd = new Random(System.nanoTime());
    int b = 2;
    int n = tokens(mask, 201);
    int[] qs = {b, n, 3 * heads * dim};
    float[] qkv = roundTrip(gpu, random(rnd, (long) b * n * 3 * heads * dim, 1.5), qs);
    float[] want;
    float[] dense;
    try (Arena a = cpu.openArena("attn-cpu")) {
      Tensor q = cpu.fromHost(qkv, qs);
      want = cpu.toHost(cpu.selfAttention(q, heads, mask));
      dense = cpu.toHost(cpu.selfAttention(q, heads, AttentionMask.Dense.INSTANCE));
    }
    String name = String.format("selfAttention %s %s N=%d heads=%d D=%d %s", t, mask, n, heads, dim,
        KernelCatalog.attentionPath(t, dim));
    try (Arena a = gpu.openArena("attn")) {
      float[] got = gpu.toHost(gpu.selfAttention(gpu.fromHost(qkv, qs), heads, mask));
      assertClose(name, got, want, tolerance(t));
      assertRowsClose(name, got, want, dim, 3 * tolerance(t));
      if (!(mask instanceof AttentionMask.Dense)) {
        // a mask that silently fell back to dense would pass the comparison above only if it were dense
        assertTrue(relDiff(want, dense) > 1e-2, name + ": mask does not change the output");
      }
    }
  }

  static Stream<Arguments> hopperCases() {
    return Stream.of(DType.BF16, DType.F16).flatMap(t -> masks().stream().map(m -> Arguments.of(t, m)));
  }

  /**
   * On Hopper the head-dim-64 cases above run the wgmma kernel; the mma.sync kernel that other GPUs run for
   * them is checked here on the same GPU (vicinity.cuda.wgmma=false).
   */
  @ParameterizedTest(name = "mma.sync {0} {1}")
  @MethodSource("hopperCases")
  void mmaSyncKernelWhereWgmmaRuns(DType t, AttentionMask mask) {
    CudaTestSupport.withoutWgmma(t, () -> matchesCpuBackend(t, mask, 2, 64));
  }

  /** A [B, T, H, W, 3C] qkv keeps its grid shape in the output. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dtypes")
  void gridShapedInput(DType t) {
    CudaBackend gpu = CudaTestSupport.gpu(t);
    Random rnd = new Random(System.nanoTime());
    int[] qs = {1, 4, 3, 5, 3 * 2 * 64};
    AttentionMask mask = new AttentionMask.Radial(4, 15, 1.0, false);
    float[] qkv = roundTrip(gpu, random(rnd, 4 * 3 * 5 * 3 * 2 * 64, 1.0), qs);
    float[] want;
    try (Arena a = cpu.openArena("attn-cpu")) {
      want = cpu.toHost(cpu.selfAttention(cpu.fromHost(qkv, qs), 2, mask));
    }
    try (Arena a = gpu.openArena("attn")) {
      Tensor out = gpu.selfAttention(gpu.fromHost(qkv, qs), 2, mask);
      assertTrue(java.util.Arrays.equals(out.shape(), new int[] {1, 4, 3, 5, 128}), "shape " + out);
      assertClose("selfAttention grid " + t, gpu.toHost(out), want, tolerance(t));
    }
  }

  static Stream<DType> dtypes() {
    return Stream.of(DType.F32, DType.BF16);
  }

  static Stream<Arguments> convCases() {
    List<Arguments> out = new ArrayList<>();
    for (DType t : new DType[] {DType.F32, DType.BF16}) {
      out.add(Arguments.of(t, new int[] {2, 6, 16, 12, 3}, new int[] {24, 3, 2, 4, 4}, new int[] {2, 4, 4}, true));
      out.add(Arguments.of(t, new int[] {1, 5, 9, 11, 4}, new int[] {7, 4, 3, 3, 2}, new int[] {1, 2, 3}, false));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} x={1} w={2} stride={3} bias={4}")
  @MethodSource("convCases")
  void conv3dMatchesCpuBackend(DType t, int[] xs, int[] ws, int[] stride, boolean withBias) {
    CudaBackend gpu = CudaTestSupport.gpu(t);
    Random rnd = new Random(System.nanoTime());
    float[] x = roundTrip(gpu, random(rnd, io.vicinity.kernels.Shapes.numel(xs), 1.0), xs);
    float[] w = roundTrip(gpu, random(rnd, io.vicinity.kernels.Shapes.numel(ws), 0.2), ws);
    float[] bias = withBias ? roundTrip(gpu, random(rnd, ws[0], 1.0), ws[0]) : null;
    float[] want;
    try (Arena a = cpu.openArena("conv3d-cpu")) {
      want = cpu.toHost(cpu.conv3d(cpu.fromHost(x, xs), cpu.fromHost(w, ws),
          withBias ? cpu.fromHost(bias, ws[0]) : null, stride[0], stride[1], stride[2]));
    }
    try (Arena a = gpu.openArena("conv3d")) {
      Tensor out = gpu.conv3d(gpu.fromHost(x, xs), gpu.fromHost(w, ws), withBias ? gpu.fromHost(bias, ws[0]) : null,
          stride[0], stride[1], stride[2]);
      assertClose("conv3d " + t + " " + java.util.Arrays.toString(xs) + " w " + java.util.Arrays.toString(ws),
          gpu.toHost(out), want, t == DType.F32 ? 1e-5 : tolerance(t));
    }
  }

  private static double relDiff(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      num += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
      den += (double) b[i] * b[i];
    }
    return Math.sqrt(num / den);
  }
}
