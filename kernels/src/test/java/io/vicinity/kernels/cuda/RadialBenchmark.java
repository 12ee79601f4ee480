package io.vicinity.kernels.cuda;

import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * Radial vs dense selfAttention on one ViT-Base attention layer (12 heads x 64, bf16), latent frames of 14x14
 * tokens: CUDA events on the backend's stream, warm-up, median of many runs over 3 rotating input sets. Prints
 * the mask's density, the fraction of pairs the kernel multiplies (16-query x 16-key chunks with an allowed
 * pair), the fraction of 64-key tiles it loads, and the time. scripts/bench/radial_anchors.py times PyTorch's
 * SDPA and flex_attention on the same shapes. Usage: RadialBenchmark [iters] [batch] [frames...]
 */
public final class RadialBenchmark {
  static final int HEADS = 12;
  static final int DIM = 64;
  static final int PER_FRAME = 196;

  private RadialBenchmark() {}

  public static void main(String[] args) {
    int iters = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int[] frames = args.length > 2 ? Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
        : new int[] {16, 32, 64};
    try (CudaBackend gpu = CudaBackend.create(0, DType.BF16)) {
      System.out.println("[radial-bench] " + gpu.describe() + ", batch " + batch + ", heads " + HEADS + " x " + DIM);
      System.out.println("[radial-bench] frames | tokens | mask | density | computed (16x16) | loaded (64x64) | median ms"
          + " | min ms | TFLOP/s (dense-equivalent)");
      for (int f : frames) {
        int n = f * PER_FRAME;
        float[] data = new float[batch * n * 3 * HEADS * DIM];
        Random rnd = new Random(f);
        Tensor[] qkv = new Tensor[3];
        for (int s = 0; s < qkv.length; s++) {
          for (int i = 0; i < data.length; i++) {
            data[i] = (float) rnd.nextGaussian();
          }
          qkv[s] = gpu.fromHost(data, batch, n, 3 * HEADS * DIM);
        }
        AttentionMask radial = new AttentionMask.Radial(f, PER_FRAME, 1.0, false);
        for (AttentionMask m : new AttentionMask[] {AttentionMask.Dense.INSTANCE, radial}) {
          double[] cover = coverage(m, n);
          double[] t = time(gpu, qkv, m, iters);
          double denseFlops = 4.0 * batch * HEADS * (double) n * n * DIM;
          System.out.printf("[radial-bench] %d | %d | %s | %.4f | %.4f | %.4f | %.3f | %.3f | %.0f%n", f, n,
              AttentionLaunch.maskName(m), m.density(), cover[0], cover[1], t[0], t[1], denseFlops / (t[0] * 1e-3) / 1e12);
        }
        for (Tensor t : qkv) {
          t.close();
        }
      }
    }
  }

  /** {median ms, min ms} of selfAttention. */
  static double[] time(CudaBackend gpu, Tensor[] qkv, AttentionMask m, int iters) {
    return GpuTimer.queued(gpu, 10, iters, i -> gpu.selfAttention(qkv[i % 3], HEADS, m));
  }

  /**
   * {fraction of pairs in 16-query x 16-key chunks holding an allowed pair (what the mma.sync kernel's warps
   * multiply), fraction in 64 x 64 tiles holding one (what the CTAs load, and what the wgmma radial kernel
   * multiplies)}, from the mask's token rule; the kernel's classification is exact for radial masks, whose tiles
   * are 4 frames x 16 positions and chunks one frame x 16 positions.
   */
  static double[] coverage(AttentionMask m, int n) {
    if (m instanceof AttentionMask.Radial r) {
      return new double[] {RadialGranularity.fraction(r, 1, 16, 1, 16), RadialGranularity.fraction(r, 4, 16, 4, 16)};
    }
    return consecutiveTileCoverage(m, n);
  }

  /** {@link #coverage} for tiles of consecutive tokens (dense and na3d): 16 x 16 chunks, 64 x 64 tiles. */
  static double[] consecutiveTileCoverage(AttentionMask m, int n) {
    int nb = (n + 15) / 16;
    boolean[] any = new boolean[nb * nb];
    for (int q = 0; q < n; q++) {
      for (int k = 0; k < n; k++) {
        if (!any[(q / 16) * nb + k / 16] && m.allowed(q, k)) {
          any[(q / 16) * nb + k / 16] = true;
        }
      }
    }
    long chunks = 0;
    for (int qb = 0; qb < nb; qb++) {
      for (int kb = 0; kb < nb; kb++) {
        if (any[qb * nb + kb]) {
          chunks += (long) Math.min(16, n - qb * 16) * Math.min(16, n - kb * 16);
        }
      }
    }
    long tiles = 0;
    int nt = (n + 63) / 64;
    for (int qt = 0; qt < nt; qt++) {
      for (int kt = 0; kt < nt; kt++) {
        boolean hit = false;
        for (int a = qt * 4; a < Math.min(nb, qt * 4 + 4) && !hit; a++) {
          for (int b = kt * 4; b < Math.min(nb, kt * 4 + 4) && !hit; b++) {
            hit = any[a * nb + b];
          }
        }
        if (hit) {
          tiles += (long) Math.min(64, n - qt * 64) * Math.min(64, n - kt * 64);
        }
      }
    }
    double all = (double) n * n;
    return new double[] {chunks / all, tiles / all};
  }
}
