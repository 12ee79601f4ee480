package io.vicinity.kernels.cuda;

import io.vicinity.kernels.DType;

/**
 * Picks the GEMM kernel and its launch geometry for one product. The constants mirror gemm.cu: the
 * pipelined kernels {@code vc_gemmp_<dtype>_<BM>x<BN>s<STAGES>} (16-bit storage, K and N multiples of 8,
 * every operand 16-byte aligned: all the model's shapes) and, for anything else, the register-prefetch
 * {@code vc_gemm_<dtype>} (128x128, any K/N/alignment) or the SIMT fp32 kernel.
 */
final class GemmDispatch {
  /** Benchmarks only: route 16-bit products to the older register-prefetch kernel (before/after timings). */
  static volatile boolean forceLegacy = Boolean.getBoolean("vicinity.gemm.legacy");

  /** Kernel symbol, CTA rows (M) and columns (N), threads, dynamic shared memory bytes. */
  record Config(String kernel, int bm, int bn, int threads, int sharedBytes) {
    int[] grid(long rows, long n) {
      return new int[] {(int) ((n + bn - 1) / bn), (int) ((rows + bm - 1) / bm), 1};
    }
  }

  private static final int BK = 32;
  private static final int LDS = BK + 8;

  private GemmDispatch() {}

  /** gemmp::smem_bytes: max(STAGES-deep ring of A and B tiles, fp32 BM x (BN+4) epilogue tile). */
  static int pipeSharedBytes(int bm, int bn, int stages) {
    return Math.max(stages * (bm + bn) * LDS * 2, bm * (bn + 4) * 4);
  }

  /**
   * @param addresses device addresses of x, w, out and of bias/scale/residual when present (0 = absent)
   */
  static Config choose(DType t, long n, long k, long... addresses) {
    if (t == DType.F32) {
      return new Config(KernelCatalog.gemmKernel(t), 64, 64, 256, 0);
    }
    boolean aligned = n % 8 == 0 && k % 8 == 0;
    for (long a : addresses) {
      aligned &= a % 16 == 0;
    }
    // K >= 4096: at 8192^3 the register-prefetch kernel measured 185 TFLOP/s against this one's 169 (H100)
    if (!aligned || forceLegacy || k >= 4096) {
      return new Config(KernelCatalog.gemmKernel(t), 128, 128, 256, 0);
    }
    String s = KernelCatalog.suffix(t);
    if (n % 128 != 0) { // N = 64, 192, ...: a 128-wide tile would compute up to half zeros
      return new Config("vc_gemmp_" + s + "_128x64s3", 128, 64, 256, pipeSharedBytes(128, 64, 3));
    }
    int stages = k >= 512 ? 4 : 3; // deeper ring only where there are enough k-tiles to fill it
    return new Config("vc_gemmp_" + s + "_128x128s" + stages, 128, 128, 256, pipeSharedBytes(128, 128, stages));
  }
}
