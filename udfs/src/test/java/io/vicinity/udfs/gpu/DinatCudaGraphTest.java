package io.vicinity.udfs.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.DType;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cuda.CapturedForward;
import io.vicinity.kernels.cuda.CudaBackend;
import io.vicinity.kernels.cuda.CudaGraphs;
import io.vicinity.udfs.dinat.DinatModel;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Npy;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * CUDA graph replay of the whole DiNAT forward ({@link DinatModel#forwardGraphed}) against the eager
 * forward: equal bit for bit on two random inputs replayed through one captured graph, and the graph's
 * memory back in the pool (no extra live bytes) once it is closed. Debug mode is on (NaN-poisoned blocks),
 * so a graph reading memory nothing wrote would show. Skipped where the CUDA backend cannot run.
 */
class DinatCudaGraphTest {
  @ParameterizedTest
  @EnumSource(value = DType.class, names = {"BF16", "F32"})
  void graphReplayEqualsEagerBitForBit(DType dtype) throws Exception {
    Path dir = Fixtures.dir("fixtures/dinat/k7_classifier_safetensors");
    int[] pv = Npy.read(dir.resolve("pixel_values.npy")).shape();
    int batch = 3;
    int h = pv[2];
    int w = pv[3];
    try (CudaBackend gpu = DinatCudaParityTest.gpuOrSkip(dtype)) {
      long liveEmpty = gpu.liveBytes();
      try (HfModelDir hf = HfModelDir.open(dir.resolve("model"));
          DinatModel model = DinatModel.load(hf, gpu)) {
        Tensor a = gpu.fromHost(random(1, batch * h * w * 3), batch, h, w, 3);
        Tensor b = gpu.fromHost(random(2, batch * h * w * 3), batch, h, w, 3);
        DinatModel.Output ea = model.forward(a);
        // the inputs, and what the first forward keeps with the weights (on Hopper: convolution weights reordered
        // for the implicit GEMM); closing the model returns the latter (checked at the end)
        long liveInputs = gpu.liveBytes();
        DinatModel.Output eb = model.forward(b);
        assertEquals(liveInputs, gpu.liveBytes(), "eager forward left tensors live");

        DinatModel.Output ga = model.forwardGraphed(a); // captures
        long liveWithGraph = gpu.liveBytes();
        assertTrue(liveWithGraph > liveInputs, "the graph holds its own memory");
        DinatModel.Output gb = model.forwardGraphed(b); // replays the same graph on other data
        DinatModel.Output ga2 = model.forwardGraphed(a);
        assertEquals(liveWithGraph, gpu.liveBytes(), "a replay allocates nothing");
        assertEqualBits(dtype + " input 1", ea, ga);
        assertEqualBits(dtype + " input 2", eb, gb);
        assertEqualBits(dtype + " input 1 again", ea, ga2);
        assertFalse(Arrays.equals(ea.pooled()[0], eb.pooled()[0]), "the two inputs give different outputs");
        // Eager work after the capture must not disturb the graph's blocks.
        model.forward(b);
        assertEqualBits(dtype + " input 1 after eager work", ea, model.forwardGraphed(a));
        System.out.printf("[gpu-parity] graph %s batch %d %dx%d: replay == eager bit for bit on 2 inputs; graph "
            + "holds %.1f MB%n", dtype, batch, h, w, (liveWithGraph - liveInputs) / 1e6);

        model.closeGraphs();
        assertEquals(liveInputs, gpu.liveBytes(), "closing the graph returns all its memory to the pool");
        assertEqualBits(dtype + " recaptured", eb, model.forwardGraphed(b));
        a.close();
        b.close();
      }
      assertEquals(liveEmpty, gpu.liveBytes(), "device bytes leaked by load + graphs + close");
    }
  }

  /** A host sync inside the captured function fails the capture and leaves the pool and backend usable. */
  @Test
  void captureRefusesAHostSyncAndLeavesThePoolAsItWas() {
    try (CudaBackend gpu = DinatCudaParityTest.gpuOrSkip(DType.F32)) {
      Tensor weight = gpu.fromHost(random(3, 64 * 32), 64, 32);
      long live = gpu.liveBytes();
      assertThrows(IllegalStateException.class, () -> CudaGraphs.capture(gpu, new int[] {16, 32}, x -> {
        Tensor y = gpu.linear(x, weight, null, Epilogue.NONE);
        gpu.toHost(y); // a download: not allowed under capture
        return new Tensor[] {y};
      }));
      assertEquals(live, gpu.liveBytes(), "a failed capture returns its blocks");
      Tensor x = gpu.fromHost(random(4, 16 * 32), 16, 32);
      float[] eager = gpu.toHost(gpu.linear(x, weight, null, Epilogue.NONE));
      try (CapturedForward g = CudaGraphs.capture(gpu, new int[] {16, 32},
          in -> new Tensor[] {gpu.linear(in, weight, null, Epilogue.NONE)})) {
        assertArrayEquals(eager, gpu.toHost(g.run(x)[0]));
      }
    }
  }

  /**
   * A convolution weight first used inside a capture (its warm-up) keeps its reordered copy (Hopper's implicit
   * GEMM) after the graph closes: the copy must not be one of the graph's blocks, which go back to the pool.
   */
  @Test
  void aWeightFirstUsedInACaptureOutlivesTheGraph() {
    try (CudaBackend gpu = DinatCudaParityTest.gpuOrSkip(DType.BF16)) {
      int[] xShape = {2, 9, 11, 64};
      Tensor weight = gpu.fromHost(random(5, 72 * 64 * 9), 72, 64, 3, 3);
      Tensor x = gpu.fromHost(random(6, 2 * 9 * 11 * 64), xShape);
      float[] graphed;
      try (CapturedForward g = CudaGraphs.capture(gpu, xShape, in -> new Tensor[] {gpu.conv2d(in, weight, null, 1, 1)})) {
        graphed = gpu.toHost(g.run(x)[0]);
      }
      // reuse the pool's free blocks (the closed graph's among them) for other data
      Tensor[] other = new Tensor[4];
      for (int i = 0; i < other.length; i++) {
        other[i] = gpu.fromHost(random(7 + i, 72 * 64 * 9), 72 * 64 * 9);
      }
      assertArrayEquals(bits(graphed), bits(gpu.toHost(gpu.conv2d(x, weight, null, 1, 1))),
          "eager convolution after the graph closed");
    }
  }

  private static void assertEqualBits(String what, DinatModel.Output expected, DinatModel.Output actual) {
    for (int i = 0; i < expected.pooled().length; i++) {
      assertArrayEquals(bits(expected.pooled()[i]), bits(actual.pooled()[i]), what + " pooled row " + i);
      assertArrayEquals(bits(expected.logits()[i]), bits(actual.logits()[i]), what + " logits row " + i);
    }
  }

  private static int[] bits(float[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.floatToRawIntBits(v[i]);
    }
    return out;
  }

  private static float[] random(long seed, int n) {
    Random r = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) r.nextGaussian();
    }
    return out;
  }
}
