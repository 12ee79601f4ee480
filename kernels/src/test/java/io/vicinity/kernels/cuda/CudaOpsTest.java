package io.vicinity.kernels.cuda;

import static io.vicinity.kernels.cuda.CudaTestSupport.assertClose;
import static io.vicinity.kernels.cuda.CudaTestSupport.random;
import static io.vicinity.kernels.cuda.CudaTestSupport.roundTrip;
import static io.vicinity.kernels.cuda.CudaTestSupport.tolerance;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Activation;
import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.ClassMaps;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.Shapes;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cpu.ClassMapReference;
import io.vicinity.kernels.cpu.CpuBackend;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every operator on the GPU against the CPU backend, per compute dtype, on fresh random inputs (rounded to
 * the GPU's dtype first so both sides see the same numbers), outputs NaN-poisoned, each test in its own
 * arenas so that a leaked device block fails the test.
 */
class CudaOpsTest {
  private static CpuBackend cpu;

  @BeforeAll
  static void setUp() {
    cpu = new CpuBackend();
  }

  @AfterAll
  static void tearDown() {
    cpu.close();
  }

  /** Runs {@code op} on both backends over inputs of the given shapes; compares the outputs. */
  private static void check(DType t, String name, int[][] shapes, BiFunction<Backend, Tensor[], Tensor> op) {
    CudaBackend gpu = CudaTestSupport.gpu(t);
    long live = gpu.liveBytes();
    Random rnd = new Random(System.nanoTime());
    float[][] data = new float[shapes.length][];
    for (int i = 0; i < shapes.length; i++) {
      data[i] = roundTrip(gpu, random(rnd, Shapes.numel(shapes[i]), 1.0), shapes[i]);
    }
    float[] got;
    float[] want;
    try (Arena a = gpu.openArena("gpu-" + name)) {
      Tensor[] in = new Tensor[shapes.length];
      for (int i = 0; i < shapes.length; i++) {
        in[i] = gpu.fromHost(data[i], shapes[i]);
      }
      got = gpu.toHost(op.apply(gpu, in));
    }
    try (Arena a = cpu.openArena("cpu-" + name)) {
      Tensor[] in = new Tensor[shapes.length];
      for (int i = 0; i < shapes.length; i++) {
        in[i] = cpu.fromHost(data[i], shapes[i]);
      }
      want = cpu.toHost(op.apply(cpu, in));
    }
    assertClose(name + " " + t, got, want, tolerance(t));
    assertEquals(live, gpu.liveBytes(), name + ": device blocks leaked");
  }

  /**
   * Shapes routed to the tiled 16-bit kernels (GemmDispatch): every tile width and ring depth of the pipelined
   * mma.sync kernels and, on Hopper, of the wgmma ones (64: N <= 64; 128: K <= 512; 192 and 256 by whole
   * waves), M not a multiple of 128, K not a multiple of the k-tile (32 and 64 wide), N not a multiple of the
   * tile, every epilogue.
   */
  private static void linearTileCases(DType t) {
    check(t, "linear N64 gelu", new int[][] {{2, 131, 64}, {192, 64}, {192}},
        (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.GELU));
    check(t, "linear N64 K40 scale+residual", new int[][] {{300, 40}, {64, 40}, {64}, {64}, {300, 64}},
        (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.residual(in[4], in[3])));
    check(t, "linear N200", new int[][] {{140, 64}, {200, 64}, {200}},
        (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.NONE));
    check(t, "linear N256 K96 residual", new int[][] {{257, 96}, {256, 96}, {256}, {257, 256}},
        (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.residual(in[3], null)));
    check(t, "linear K520 gelu (wgmma 192)", new int[][] {{130, 520}, {128, 520}, {128}},
        (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.GELU));
    // 33 x 4 tiles of 256 fill one wave of an H100's 132 SMs, where 33 x 6 of 192 would take two
    check(t, "linear 4200x520x1024 scale+residual (wgmma 256)",
        new int[][] {{4200, 520}, {1024, 520}, {1024}, {1024}, {4200, 1024}},
        (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.residual(in[4], in[3])));
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void linearTiles(DType t) {
    linearTileCases(t);
  }

  /** On Hopper the cases above ran the wgmma kernels; the mma.sync ones other GPUs run, on the same GPU. */
  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"BF16", "F16"})
  void linearTilesMmaSyncWhereWgmmaRuns(DType t) {
    CudaTestSupport.withoutWgmma(t, () -> linearTileCases(t));
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void linearWithEpilogues(DType t) {
    int[] x = {3, 37, 96};
    int[] w = {130, 96};
    check(t, "linear+bias", new int[][] {x, w, {130}}, (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.NONE));
    check(t, "linear+gelu", new int[][] {x, w, {130}}, (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.GELU));
    check(t, "linear+scale+residual", new int[][] {x, w, {130}, {130}, {3, 37, 130}},
        (b, in) -> b.linear(in[0], in[1], in[2], Epilogue.residual(in[4], in[3])));
    check(t, "linear odd K no bias", new int[][] {{301, 27}, {65, 27}}, (b, in) -> b.linear(in[0], in[1], null, null));
    check(t, "linear large", new int[][] {{2, 700, 256}, {384, 256}, {384}},
        (b, in) -> b.linear(in[0], in[1], in[2], new Epilogue(Activation.GELU, null, null)));
  }

  /** Shapes served by the direct small-patch kernel (conv.cu conv_direct): the stem, patch < 32, no bias. */
  @ParameterizedTest
  @EnumSource(DType.class)
  void conv2dDirect(DType t) {
    assertTrue(ConvDirectLaunchParams.fits(3, 3, 3, 32, 0) && !ConvDirectLaunchParams.fits(3, 4, 4, 16, 0));
    check(t, "conv direct stem 3x3/2 pad 1", new int[][] {{2, 31, 29, 3}, {32, 3, 3, 3}, {32}},
        (b, in) -> b.conv2d(in[0], in[1], in[2], 2, 1));
    check(t, "conv direct 2x3 ch, 4x4/4, no bias", new int[][] {{3, 16, 12, 2}, {8, 2, 4, 4}},
        (b, in) -> b.conv2d(in[0], in[1], null, 4, 0));
    check(t, "conv direct 5x5 pad 2 cout 128", new int[][] {{1, 9, 11, 1}, {128, 1, 5, 5}, {128}},
        (b, in) -> b.conv2d(in[0], in[1], in[2], 1, 2));
  }

  /**
   * im2col + GEMM, 1x1 as a plain GEMM, and on Hopper (16-bit, Cin and Cout multiples of 8) the implicit-GEMM
   * kernel: channel runs shorter than, not a multiple of and longer than its 64-wide k-tiles, strides 1 and 2,
   * padding on every side, non-square kernels, output pixels not a multiple of 128, with and without bias.
   */
  private static void conv2dCases(DType t) {
    check(t, "conv patch 4x4/4", new int[][] {{2, 32, 28, 3}, {16, 3, 4, 4}, {16}}, (b, in) -> b.conv2d(in[0], in[1], in[2], 4, 0));
    check(t, "conv 3x3/2 pad 1", new int[][] {{2, 15, 17, 24}, {40, 24, 3, 3}, {40}}, (b, in) -> b.conv2d(in[0], in[1], in[2], 2, 1));
    check(t, "conv 1x1", new int[][] {{2, 9, 7, 32}, {24, 32, 1, 1}}, (b, in) -> b.conv2d(in[0], in[1], null, 1, 0));
    check(t, "conv 3x3 Cin 8 (8 taps per k-tile)", new int[][] {{3, 10, 7, 8}, {16, 8, 3, 3}, {16}},
        (b, in) -> b.conv2d(in[0], in[1], in[2], 1, 1));
    check(t, "conv 3x3 pad 1 Cin 64", new int[][] {{2, 9, 11, 64}, {72, 64, 3, 3}, {72}},
        (b, in) -> b.conv2d(in[0], in[1], in[2], 1, 1));
    check(t, "conv 3x3/2 Cin 136 no bias", new int[][] {{1, 20, 24, 136}, {64, 136, 3, 3}},
        (b, in) -> b.conv2d(in[0], in[1], null, 2, 1));
    check(t, "conv 5x3 pad 2 Cin 16", new int[][] {{2, 13, 6, 16}, {24, 16, 5, 3}, {24}},
        (b, in) -> b.conv2d(in[0], in[1], in[2], 1, 2));
    check(t, "conv 3x3/2 pad 1 Cin 32 (a downsampler)", new int[][] {{2, 33, 35, 32}, {64, 32, 3, 3}, {64}},
        (b, in) -> b.conv2d(in[0], in[1], in[2], 2, 1));
    // one weight used twice, as a model does every batch: on Hopper the second call takes the reordered weight
    // kept with the tensor
    check(t, "conv 3x3 one weight twice", new int[][] {{2, 9, 11, 64}, {72, 64, 3, 3}, {72}, {2, 9, 11, 64}},
        (b, in) -> b.concatLast(b.conv2d(in[0], in[1], in[2], 1, 1), b.conv2d(in[3], in[1], in[2], 1, 1)));
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void conv2d(DType t) {
    conv2dCases(t);
  }

  /** On Hopper the 16-bit cases above ran the implicit-GEMM kernel; im2col + GEMM, as other GPUs, here. */
  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"BF16", "F16"})
  void conv2dIm2colWhereWgmmaRuns(DType t) {
    CudaTestSupport.withoutWgmma(t, () -> conv2dCases(t));
  }

  /**
   * Segmentation label maps against the reference written out the long way (the two resizes stored, then arg-max
   * and softmax in double), on the scores as the GPU holds them: 150 classes at UperNet's sizes (128 -> 512 is
   * scaled down to 32 -> 128 here), fewer classes than a group's lanes, odd counts (one class a lane step),
   * class lists wide enough for 16 and 32 lanes a pixel, downsizing to one pixel. Outputs are
   * poisoned (debug pool), so a pixel the kernel skips fails.
   */
  @ParameterizedTest
  @EnumSource(DType.class)
  void classMaps(DType t) {
    CudaBackend gpu = CudaTestSupport.gpu(t);
    Random rnd = new Random(System.nanoTime());
    // {B, h, w, C, midH, midW, outH0, outW0, outH1, outW1}
    int[][] cases = {
      {2, 32, 32, 150, 128, 128, 100, 140, 128, 128}, {2, 5, 7, 3, 20, 28, 23, 17, 9, 31},
      {2, 8, 5, 40, 4, 9, 13, 2, 1, 1}, {2, 6, 6, 33, 24, 24, 5, 5, 24, 24},
      {2, 4, 5, 300, 8, 10, 9, 11, 3, 3}, {2, 3, 3, 599, 6, 6, 5, 7, 6, 6}, // 16 and 32 lanes a pixel
    };
    for (int[] k : cases) {
      int[] shape = {k[0], k[1], k[2], k[3]};
      int[] outH = {k[6], k[8]};
      int[] outW = {k[7], k[9]};
      float[] x = roundTrip(gpu, random(rnd, Shapes.numel(shape), 3.0), shape);
      long live = gpu.liveBytes();
      ClassMaps maps;
      ClassMaps labelsOnly;
      try (Arena a = gpu.openArena("classMaps")) {
        Tensor scores = gpu.fromHost(x, shape);
        maps = gpu.classMaps(scores, k[4], k[5], outH, outW, true);
        labelsOnly = gpu.classMaps(scores, k[4], k[5], outH, outW, false);
      }
      String what = "classMaps " + t + " " + java.util.Arrays.toString(k);
      ClassMapReference.assertMatches(what, x, shape, k[4], k[5], outH, outW, maps, 1e-4, 1e-5);
      assertArrayEquals(maps.classes(), labelsOnly.classes(), what + ": the same labels without probabilities");
      assertNull(labelsOnly.probabilities());
      assertEquals(live, gpu.liveBytes(), what + ": device blocks leaked");
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void normsAndRows(DType t) {
    check(t, "layerNorm", new int[][] {{4, 33, 96}, {96}, {96}}, (b, in) -> b.layerNorm(in[0], in[1], in[2], 1e-5f));
    check(t, "layerNorm wide", new int[][] {{5, 1000}, {1000}, {1000}}, (b, in) -> b.layerNorm(in[0], in[1], in[2], 1e-6f));
    // packed rows: 8 lanes x 1 pack (C 64, 4 rows a warp, rows not a multiple of 4), 32 x 3 (C 768), 8 x 3 (C 192),
    // 32 x 4 (C 1024); C 1536 (6 packs a lane) takes the warp-per-row kernel
    check(t, "layerNorm C64", new int[][] {{3, 11, 7, 64}, {64}, {64}}, (b, in) -> b.layerNorm(in[0], in[1], in[2], 1e-5f));
    check(t, "layerNorm C768", new int[][] {{2, 37, 768}, {768}, {768}}, (b, in) -> b.layerNorm(in[0], in[1], in[2], 1e-12f));
    check(t, "layerNorm C192 no affine", new int[][] {{45, 192}}, (b, in) -> b.layerNorm(in[0], null, null, 1e-5f));
    check(t, "layerNorm C1024", new int[][] {{9, 1024}, {1024}, {1024}}, (b, in) -> b.layerNorm(in[0], in[1], in[2], 1e-6f));
    check(t, "layerNorm C1536", new int[][] {{3, 1536}, {1536}, {1536}}, (b, in) -> b.layerNorm(in[0], in[1], in[2], 1e-6f));
    check(t, "softmax", new int[][] {{7, 3, 1001}}, (b, in) -> b.softmax(in[0]));
    check(t, "meanPool", new int[][] {{3, 7, 9, 40}}, (b, in) -> b.meanPool(in[0]));
    check(t, "meanPool long", new int[][] {{2, 3001, 70}}, (b, in) -> b.meanPool(in[0])); // rows per warp > 1
    check(t, "batchNorm+relu", new int[][] {{2, 5, 6, 24}, {24}, {24}, {24}, {24}},
        (b, in) -> {
          Tensor var = b.activation(in[2], Activation.RELU); // variances must be >= 0
          return b.batchNorm(in[0], in[1], var, in[3], in[4], 1e-5f, true);
        });
    check(t, "batchNorm", new int[][] {{2, 5, 6, 24}, {24}, {24}, {24}, {24}},
        (b, in) -> b.batchNorm(in[0], in[1], b.activation(in[2], Activation.RELU), in[3], in[4], 1e-3f, false));
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void elementwise(DType t) {
    check(t, "gelu", new int[][] {{5, 77, 33}}, (b, in) -> b.activation(in[0], Activation.GELU));
    check(t, "relu", new int[][] {{5, 77, 33}}, (b, in) -> b.activation(in[0], Activation.RELU));
    check(t, "add", new int[][] {{4, 9, 31}, {4, 9, 31}}, (b, in) -> b.add(in[0], in[1]));
    check(t, "pad2d", new int[][] {{2, 5, 7, 12}}, (b, in) -> b.pad2d(in[0], 3, 2));
    check(t, "crop2d", new int[][] {{2, 9, 8, 12}}, (b, in) -> b.crop2d(in[0], 5, 7));
    check(t, "concatLast", new int[][] {{2, 3, 5}, {2, 3, 7}, {2, 3, 1}}, (b, in) -> b.concatLast(in[0], in[1], in[2]));
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  void resampling(DType t) {
    check(t, "resize up", new int[][] {{2, 7, 9, 5}}, (b, in) -> b.resizeBilinear(in[0], 16, 20, false));
    check(t, "resize down", new int[][] {{2, 31, 29, 5}}, (b, in) -> b.resizeBilinear(in[0], 8, 12, false));
    check(t, "resize align", new int[][] {{2, 7, 9, 5}}, (b, in) -> b.resizeBilinear(in[0], 13, 4, true));
    // channels per thread: 8 (C 24), 2 (C 150, UperNet's class maps), 4 (C 12, align_corners)
    check(t, "resize up C24", new int[][] {{2, 9, 7, 24}}, (b, in) -> b.resizeBilinear(in[0], 36, 28, false));
    check(t, "resize up C150", new int[][] {{1, 8, 6, 150}}, (b, in) -> b.resizeBilinear(in[0], 32, 24, false));
    check(t, "resize align C12", new int[][] {{3, 5, 11, 12}}, (b, in) -> b.resizeBilinear(in[0], 9, 7, true));
    check(t, "adaptiveAvgPool", new int[][] {{2, 13, 11, 6}}, (b, in) -> b.adaptiveAvgPool2d(in[0], 6, 4));
    check(t, "adaptiveAvgPool 1x1", new int[][] {{2, 13, 11, 6}}, (b, in) -> b.adaptiveAvgPool2d(in[0], 1, 1));
  }
}
