package io.vicinity.kernels.cuda;

import io.vicinity.kernels.DType;
import io.vicinity.kernels.NaParams;
import io.vicinity.kernels.Tensor;
import java.util.Random;

/**
 * Times the fused NA kernel at DiNAT-mini shapes (bf16, batch 64, head_dim 32, kernel 7) with CUDA events
 * on the backend's stream: warm-up, then the median of many runs, rotating over 3 input sets (each larger
 * than L2). Run: java -cp ... io.vicinity.kernels.cuda.NaBenchmark [iterations]
 */
public final class NaBenchmark {
  /** (H, W, heads, dilation) at batch 64, head_dim 32, kernel 7. */
  static final int[][] SHAPES = {{56, 56, 2, 1}, {56, 56, 2, 8}, {28, 28, 4, 4}, {14, 14, 8, 2}};
  static final int BATCH = 64;
  static final int DIM = 32;
  static final int KERNEL = 7;
  static final double BANDWIDTH = 3.0e12; // bytes/s, H100 SXM device-to-device copy as measured

  public static void main(String[] args) {
    int iters = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    try (CudaBackend gpu = CudaBackend.create(0, DType.BF16)) {
      System.out.println("[na-bench] " + gpu.describe());
      System.out.println("[na-bench] shape | path | median us | min us | TFLOP/s | floor us | x floor");
      for (int[] s : SHAPES) {
        run(gpu, s[0], s[1], s[2], s[3], iters);
      }
    }
  }

  static void run(CudaBackend gpu, int h, int w, int heads, int dil, int iters) {
    int c = heads * DIM;
    Random rnd = new Random(42);
    float[] data = new float[BATCH * h * w * 3 * c];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) rnd.nextGaussian();
    }
    float[] rpbData = new float[heads * (2 * KERNEL - 1) * (2 * KERNEL - 1)];
    for (int i = 0; i < rpbData.length; i++) {
      rpbData[i] = (float) rnd.nextGaussian();
    }
    Tensor[] qkv = new Tensor[3];
    for (int i = 0; i < qkv.length; i++) {
      qkv[i] = gpu.fromHost(data, BATCH, h, w, 3 * c);
    }
    Tensor rpb = gpu.fromHost(rpbData, heads, 2 * KERNEL - 1, 2 * KERNEL - 1);
    NaParams p = new NaParams(heads, KERNEL, dil);
    double[] ms = GpuTimer.queued(gpu, 20, iters, i -> gpu.neighborhoodAttention2d(qkv[i % 3], rpb, p));
    double med = ms[0] * 1e-3;
    double flops = 4.0 * BATCH * heads * h * w * KERNEL * KERNEL * DIM;
    double bytes = (double) BATCH * h * w * (3 * c + c) * 2;
    double floor = bytes / BANDWIDTH;
    String path = KernelCatalog.naPath(DType.BF16, DIM, KERNEL, 227 * 1024).toString();
    System.out.printf("[na-bench] %dx%d heads=%d dil=%d | %s | %.1f | %.1f | %.1f | %.1f | %.2f%n", h, w, heads, dil, path,
        med * 1e6, ms[1] * 1e3, flops / med / 1e12, floor * 1e6, med / floor);
    for (Tensor t : qkv) {
      t.close();
    }
    rpb.close();
  }
}
