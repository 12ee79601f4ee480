package io.vicinity.kernels.cuda;

import io.vicinity.kernels.Activation;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * Times CudaBackend.linear (bf16, fp32 accumulate) at the DiNAT-mini shapes of a batch of 256 at 224 px
 * (M = tokens, K = in, N = out), at a ViT-Base video encoder's (64 latent frames of 14 x 14) and at 8192^3,
 * with CUDA events on the backend's stream: warm-up, median.
 * Inputs are random normals (never zeros). Run: java -cp ... io.vicinity.kernels.cuda.GemmBenchmark [iters]
 */
public final class GemmBenchmark {
  /** {M, K, N, epilogue: 0 bias, 1 bias+GELU, 2 bias+residual}. */
  static final int[][] SHAPES = {
    {802816, 64, 192, 0}, {802816, 64, 64, 2}, {802816, 64, 192, 1}, {802816, 192, 64, 2},
    {200704, 128, 384, 0}, {200704, 128, 128, 2}, {200704, 128, 384, 1}, {200704, 384, 128, 2},
    {50176, 256, 768, 0}, {50176, 256, 256, 2}, {50176, 256, 768, 1}, {50176, 768, 256, 2},
    {12544, 512, 1536, 0}, {12544, 512, 512, 2}, {12544, 512, 1536, 1}, {12544, 1536, 512, 2},
    {12544, 768, 2304, 0}, {12544, 768, 768, 2}, {12544, 768, 3072, 1}, {12544, 3072, 768, 2},
    {8192, 8192, 8192, 0},
  };
  static final double BANDWIDTH = 3.0e12;
  static final double PEAK = 800e12; // H100 SXM dense bf16, about what a cuBLAS 8192^3 product reaches here

  public static void main(String[] args) {
    int iters = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    try (CudaBackend gpu = CudaBackend.create(0, DType.BF16)) {
      System.out.println("[gemm-bench] " + gpu.describe());
      System.out.println("[gemm-bench] M x K x N | epilogue | kernel | median us | TFLOP/s | % of 800 | floor us (max of flop, bytes) | x floor");
      for (int[] s : SHAPES) {
        run(gpu, s[0], s[1], s[2], s[3], iters);
      }
    }
  }

  static Tensor random(CudaBackend gpu, Random rnd, int rows, int cols, double scale) {
    Tensor t = gpu.allocate(rows, cols);
    float[] block = new float[1 << 22];
    for (int i = 0; i < block.length; i++) {
      block[i] = (float) (rnd.nextGaussian() * scale);
    }
    long n = (long) rows * cols;
    for (long off = 0; off < n; off += block.length) {
      int len = (int) Math.min(block.length, n - off);
      gpu.upload(t, off, len == block.length ? block : Arrays.copyOf(block, len));
    }
    return t;
  }

  static void run(CudaBackend gpu, int m, int k, int n, int kind, int iters) {
    Random rnd = new Random(7);
    Tensor x = random(gpu, rnd, m, k, 1.0);
    Tensor w = random(gpu, rnd, n, k, 1.0 / Math.sqrt(k));
    Tensor b = random(gpu, rnd, 1, n, 1.0);
    Tensor bias = gpu.allocate(n);
    gpu.upload(bias, 0, gpu.toHost(b));
    Tensor res = kind == 2 ? random(gpu, rnd, m, n, 1.0) : null;
    Epilogue e = switch (kind) {
      case 1 -> Epilogue.GELU;
      case 2 -> Epilogue.residual(res, null);
      default -> Epilogue.NONE;
    };
    // The dispatched kernel, then (on Hopper) the mma.sync kernel the other GPUs take, on the same inputs.
    boolean hopper = KernelCatalog.wgmma(gpu.device());
    for (boolean wgmma : hopper ? new boolean[] {true, false} : new boolean[] {false}) {
      if (!wgmma) {
        System.setProperty("vicinity.cuda.wgmma", "false");
      }
      String label = GemmDispatch.choose(gpu.computeType(), m, n, k, wgmma, gpu.device().smCount, 0).kernel();
      time(gpu, x, w, bias, e, m, k, n, kind, iters, label);
      System.clearProperty("vicinity.cuda.wgmma");
    }
    for (Tensor t : new Tensor[] {x, w, b, bias, res}) {
      if (t != null) {
        t.close();
      }
    }
  }

  static void time(CudaBackend gpu, Tensor x, Tensor w, Tensor bias, Epilogue e, int m, int k, int n, int kind,
      int iters, String label) {
    double sec = GpuTimer.oneByOne(gpu, 5, iters, i -> gpu.linear(x, w, bias, e))[0] * 1e-3;
    double flops = 2.0 * m * k * n;
    double bytes = 2.0 * ((double) m * k + (double) n * k + (double) m * n * (kind == 2 ? 2 : 1));
    double floor = Math.max(flops / PEAK, bytes / BANDWIDTH);
    String ep = switch (kind) {
      case 1 -> "bias+GELU";
      case 2 -> "bias+residual";
      default -> "bias";
    };
    System.out.printf("[gemm-bench] %d x %d x %d | %s | %s | %.1f | %.1f | %.1f%% | %.1f (%s) | %.2f%n", m, k, n, ep, label,
        sec * 1e6, flops / sec / 1e12, 100 * flops / sec / PEAK, floor * 1e6,
        flops / PEAK > bytes / BANDWIDTH ? "flop" : "bytes", sec / floor);
  }
}
