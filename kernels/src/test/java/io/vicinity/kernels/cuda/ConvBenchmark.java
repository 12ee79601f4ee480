package io.vicinity.kernels.cuda;

import io.vicinity.kernels.DType;
import io.vicinity.kernels.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * Times the DiNAT stem convolution (batch 256, 224 px, 3 -> 32 channels, 3x3 stride 2 pad 1, bf16) through
 * CudaBackend.conv2d: the direct kernel, then im2col + GEMM on the same inputs. CUDA events, median.
 * Run: java -cp ... io.vicinity.kernels.cuda.ConvBenchmark [iters]
 */
public final class ConvBenchmark {
  public static void main(String[] args) {
    int iters = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    try (CudaBackend gpu = CudaBackend.create(0, DType.BF16)) {
      Random rnd = new Random(7);
      Tensor x4 = random(gpu, rnd, 1.0, 256, 224, 224, 3);
      Tensor w4 = random(gpu, rnd, 0.2, 32, 3, 3, 3);
      Tensor bias = random(gpu, rnd, 1.0, 32);
      double bytes = 2.0 * (256.0 * 224 * 224 * 3 + 256.0 * 112 * 112 * 32);
      for (boolean im2col : new boolean[] {false, true}) {
        ConvDirectLaunchParams.disabled = im2col;
        double[] ms = GpuTimer.oneByOne(gpu, 5, iters, i -> gpu.conv2d(x4, w4, bias, 2, 1));
        System.out.printf("[conv-bench] stem conv [256,224,224,3] x [32,3,3,3] s2 p1 | %s | median %.1f us | "
            + "min %.1f us | floor (in + out once, 3.0 TB/s) %.1f us%n", im2col ? "im2col + GEMM" : "vc_conv_direct",
            ms[0] * 1e3, ms[1] * 1e3, bytes / 3.0e12 * 1e6);
      }
      ConvDirectLaunchParams.disabled = false;
    }
  }

  static Tensor random(CudaBackend gpu, Random rnd, double scale, int... shape) {
    Tensor t = gpu.allocate(shape);
    float[] block = new float[1 << 22];
    for (int i = 0; i < block.length; i++) {
      block[i] = (float) (rnd.nextGaussian() * scale);
    }
    long n = t.numel();
    for (long off = 0; off < n; off += block.length) {
      int len = (int) Math.min(block.length, n - off);
      gpu.upload(t, off, len == block.length ? block : Arrays.copyOf(block, len));
    }
    return t;
  }
}
