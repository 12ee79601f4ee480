package io.vicinity.kernels.cuda;

import io.vicinity.kernels.DType;

/**
 * Picks the GEMM kernel and its launch geometry for one product. The constants mirror gemm.cu. For 16-bit
 * storage with K and N multiples of 8 and every operand 16-byte aligned (all the model's shapes): on Hopper the
 * wgmma kernels {@code vc_gemmw_<dtype>_128x<BN>s<STAGES>}, elsewhere the pipelined mma.sync kernels
 * {@code vc_gemmp_<dtype>_<BM>x<BN>s<STAGES>}. Anything else takes the register-prefetch {@code vc_gemm_<dtype>}
 * (128x128, any K/N/alignment) or the SIMT fp32 kernel.
 */
final class GemmDispatch {
  /**
   * Before/after timings only: -Dvicinity.gemm.legacy=true routes 16-bit products to the older register-prefetch
   * kernel (GemmBenchmark now compares against the mma.sync kernels through vicinity.cuda.wgmma instead).
   */
  private static final boolean FORCE_LEGACY = Boolean.getBoolean("vicinity.gemm.legacy");

  /** Kernel symbol, CTA rows (M) and columns (N), threads, dynamic shared memory bytes. */
  record Config(String kernel, int bm, int bn, int threads, int sharedBytes) {
    int[] grid(long rows, long n) {
      return new int[] {(int) ((n + bn - 1) / bn), (int) ((rows + bm - 1) / bm), 1};
    }
  }

  private static final int BK = 32;
  private static final int LDS = BK + 8;

  /** A wgmma tile width: stages of the ring, CTAs resident per SM (registers and shared memory allow). */
  private record WgTile(int bn, int stages, int ctasPerSm) {}

  // Measured on an H100 (docs/BENCHMARKS.md): with a short K (few k-tiles) two resident CTAs of 128 x 128 hide
  // each other's prologue and epilogue and win; with a long K the wider tiles move fewer bytes per product.
  private static final WgTile WG_64 = new WgTile(64, 4, 2);
  /**
   * K <= 64, one k-tile: nothing to overlap inside a CTA, so the most CTAs per SM win. A 3-stage ring of 64-wide
   * tiles leaves three resident (75 KB, 80 registers); 802816 x 64 x 192 (DiNAT stage 1, batch 256): 238 us against
   * 279 on 128 x 128 and 293 on the 4-stage 64-wide tile, with GELU 330 against 428 (H100, one call).
   */
  private static final WgTile WG_64_SHALLOW = new WgTile(64, 3, 3);
  private static final WgTile WG_128 = new WgTile(128, 3, 2);
  private static final WgTile[] WG_WIDE = {WG_128, new WgTile(192, 4, 1), new WgTile(256, 4, 1)};
  /** Throughput of two 128 x 128 CTAs per SM against one wide tile, on long K (8192^3: 515 vs 610 TFLOP/s). */
  private static final double WG_128_RATE = 0.85;

  private GemmDispatch() {}

  /** gemmp::smem_bytes: max(STAGES-deep ring of A and B tiles, fp32 BM x (BN+4) epilogue tile). */
  static int pipeSharedBytes(int bm, int bn, int stages) {
    return Math.max(stages * (bm + bn) * LDS * 2, bm * (bn + 4) * 4);
  }

  /** gemmw::smem_bytes: 1024 (alignment) + max(ring of 128 + BN rows of 128 bytes per stage, fp32 epilogue tile). */
  static int wgSharedBytes(int bn, int stages) {
    return 1024 + Math.max(stages * (128 + bn) * 128, 128 * (bn + 4) * 4);
  }

  /**
   * @param m rows of the product (x's rows)
   * @param wgmma whether the wgmma kernels run on this GPU ({@link KernelCatalog#wgmma})
   * @param smCount the GPU's multiprocessors (the wgmma tile width is chosen to fill whole waves)
   * @param addresses device addresses of x, w, out and of bias/scale/residual when present (0 = absent)
   */
  static Config choose(DType t, long m, long n, long k, boolean wgmma, int smCount, long... addresses) {
    if (t == DType.F32) {
      return new Config(KernelCatalog.gemmKernel(t), 64, 64, 256, 0);
    }
    boolean aligned = n % 8 == 0 && k % 8 == 0 && aligned16(addresses);
    String s = KernelCatalog.suffix(t);
    if (aligned && wgmma && !FORCE_LEGACY) {
      return wgConfig("vc_gemmw_", t, m, n, k, smCount);
    }
    // K >= 4096: at 8192^3 the register-prefetch kernel measured 185 TFLOP/s against this one's 169 (H100)
    if (!aligned || FORCE_LEGACY || k >= 4096) {
      return new Config(KernelCatalog.gemmKernel(t), 128, 128, 256, 0);
    }
    if (n % 128 != 0) { // N = 64, 192, ...: a 128-wide tile would compute up to half zeros
      return new Config("vc_gemmp_" + s + "_128x64s3", 128, 64, 256, pipeSharedBytes(128, 64, 3));
    }
    int stages = k >= 512 ? 4 : 3; // deeper ring only where there are enough k-tiles to fill it
    return new Config("vc_gemmp_" + s + "_128x128s" + stages, 128, 128, 256, pipeSharedBytes(128, 128, stages));
  }

  /**
   * The implicit-GEMM convolution on Hopper ({@code vc_convw_<dtype>_128x<BN>s<STAGES>}, same tiles as the
   * product of the same M, N, K), or null where it does not apply: 16-bit storage, wgmma, Cin and Cout
   * multiples of 8, 16-byte aligned input, bias and output, and a grid of at most 65535 row tiles.
   *
   * @param m output pixels (B * outH * outW); k = kh * kw * Cin
   */
  static Config chooseConv(DType t, long m, long cout, long cin, long k, boolean wgmma, int smCount,
      long... addresses) {
    boolean aligned = cin % 8 == 0 && cout % 8 == 0 && aligned16(addresses);
    if (t == DType.F32 || !wgmma || FORCE_LEGACY || !aligned || (m + 127) / 128 > 65535) {
      return null;
    }
    return wgConfig("vc_convw_", t, m, cout, k, smCount);
  }

  private static boolean aligned16(long... addresses) {
    for (long a : addresses) {
      if (a % 16 != 0) {
        return false;
      }
    }
    return true;
  }

  /** {@code <prefix><dtype>_128x<BN>s<STAGES>}: a gemmw kernel (product or convolution) with its launch geometry. */
  private static Config wgConfig(String prefix, DType t, long m, long n, long k, int smCount) {
    WgTile tile = wgTile(m, n, k, smCount);
    return new Config(prefix + KernelCatalog.suffix(t) + "_128x" + tile.bn() + "s" + tile.stages(), 128, tile.bn(),
        256, wgSharedBytes(tile.bn(), tile.stages()));
  }

  /**
   * K up to 64: the 64-wide tile with a 3-stage ring, three per SM. N up to 64: the 64-wide tile. K up to 512:
   * 128 x 128, two per SM. Longer K: the width whose whole waves
   * (CTAs resident at once on every SM) cost least, a wave's cost being its CTAs' columns at their rate; e.g.
   * 12544 x 3072 x 768 on 132 SMs: 392 tiles of 192 = 3 waves of 192 columns beat 3 waves of 256 or 2 x 128.
   */
  private static WgTile wgTile(long m, long n, long k, int smCount) {
    if (k <= 64) {
      return WG_64_SHALLOW;
    }
    if (n <= 64) {
      return WG_64;
    }
    if (k <= 512) {
      return WG_128;
    }
    WgTile best = null;
    double bestCost = Double.MAX_VALUE;
    for (WgTile tile : WG_WIDE) {
      long tiles = ((m + 127) / 128) * ((n + tile.bn() - 1) / tile.bn());
      long waves = (tiles + (long) smCount * tile.ctasPerSm() - 1) / ((long) smCount * tile.ctasPerSm());
      double cost = waves * tile.ctasPerSm() * tile.bn() / (tile == WG_128 ? WG_128_RATE : 1.0);
      if (cost < bestCost) {
        best = tile;
        bestCost = cost;
      }
    }
    return best;
  }
}
