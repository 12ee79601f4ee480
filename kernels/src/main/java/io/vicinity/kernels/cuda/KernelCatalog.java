package io.vicinity.kernels.cuda;

import io.vicinity.kernels.DType;

/**
 * The one dispatch switch from (operator, dtype, head dim, kernel size) to a compiled kernel symbol, and
 * the launch geometry that must agree with the .cu sources.
 */
final class KernelCatalog {
  /** Fused NA: queries per CTA side, threads per CTA, largest kernel size (na2d.cu TC_*). */
  static final int NA_TILE = 8;
  static final int NA_THREADS = 128;
  static final int NA_MAX_KERNEL = 13;
  /** Generic NA: queries (warps) per CTA, largest k*k and head dim (na2d.cu REF_*). */
  static final int NA_REF_WARPS = 4;
  static final int NA_REF_MAX_KK = 169;
  static final int NA_REF_MAX_HEAD_DIM = 256;

  private KernelCatalog() {}

  static String suffix(DType t) {
    return switch (t) {
      case F32 -> "f32";
      case BF16 -> "bf16";
      case F16 -> "f16";
    };
  }

  /** Element-wise/reduction/resample kernels: {@code vc_<family>_<dtype>}. */
  static String kernel(String family, DType t) {
    return "vc_" + family + "_" + suffix(t);
  }

  /** Which NA kernel serves this call. */
  enum NaPath { FUSED_TENSOR_CORE, GENERIC }

  static NaPath naPath(DType t, int headDim, int kernel, int maxSharedOptin) {
    boolean tcType = t == DType.BF16 || t == DType.F16;
    boolean tcDim = headDim == 32 || headDim == 64;
    if (tcType && tcDim && kernel <= NA_MAX_KERNEL && naSharedBytes(headDim, kernel) <= maxSharedOptin) {
      return NaPath.FUSED_TENSOR_CORE;
    }
    return NaPath.GENERIC;
  }

  static String naKernel(NaPath path, DType t, int headDim) {
    return switch (path) {
      case FUSED_TENSOR_CORE -> "vc_na2d_tc_" + suffix(t) + "_d" + headDim;
      case GENERIC -> "vc_na2d_ref_" + suffix(t);
    };
  }

  /** Dynamic shared memory of the fused kernel; the formula of na2d.cu (tc_keys_max and the layout). */
  static int naSharedBytes(int headDim, int kernel) {
    int side = NA_TILE + kernel - 1;
    int nkmax = side * ((side + 7) / 8 * 8) + 64; // halo rows x pitch (roundup8 of the width) + one chunk
    int rpbMax = (2 * NA_MAX_KERNEL - 1) * (2 * NA_MAX_KERNEL - 1);
    return 2 * 2 * nkmax * (headDim + 8) + 4 * rpbMax; // K and V row-major, pitch headDim + 8; fp32 bias
  }

  /** Threads of reduce.cu's mean_pool block (POOL_THREADS). */
  static final int POOL_THREADS = 1024;

  /** Self-attention (attention.cu): queries per CTA and threads of the fused kernel, warps of the generic one. */
  static final int ATTN_TILE = 64;
  /** Radial query and key tiles: 4 frames x 16 positions (attention.cu RF, RP). */
  static final int ATTN_RADIAL_TILE_FRAMES = 4;
  static final int ATTN_RADIAL_TILE_POSITIONS = 16;
  static final int ATTN_THREADS = 128;
  static final int ATTN_REF_WARPS = 4;
  static final int ATTN_REF_MAX_HEAD_DIM = 256;

  enum AttnPath { FUSED_TENSOR_CORE, GENERIC }

  /** Tensor cores for 16-bit storage and head dims 16, 32, 64, 128; the warp-per-query kernel otherwise. */
  static AttnPath attentionPath(DType t, int headDim) {
    boolean tcType = t == DType.BF16 || t == DType.F16;
    boolean tcDim = headDim == 16 || headDim == 32 || headDim == 64 || headDim == 128;
    return tcType && tcDim ? AttnPath.FUSED_TENSOR_CORE : AttnPath.GENERIC;
  }

  /**
   * {@code vc_attn_tc_<dtype>_d<D>_<mask>} (mma.sync), its Hopper variant {@code vc_attn_wg_<dtype>_d64_<mask>}
   * (wgmma, head dim 64, where {@code wgmma}) or {@code vc_attn_ref_<dtype>_<mask>}; mask in dense/radial/na3d.
   */
  static String attentionKernel(AttnPath path, DType t, int headDim, String mask, boolean wgmma) {
    return switch (path) {
      case FUSED_TENSOR_CORE -> (wgmma && headDim == 64 ? "vc_attn_wg_" : "vc_attn_tc_") + suffix(t) + "_d" + headDim
          + "_" + mask;
      case GENERIC -> "vc_attn_ref_" + suffix(t) + "_" + mask;
    };
  }

  /**
   * Whether attention and the GEMMs take the wgmma kernels on {@code device}: where the module has them, unless
   * the system property vicinity.cuda.wgmma is false (read per launch: the benchmarks and tests compare both).
   */
  static boolean wgmma(CudaDevice device) {
    return device.wgmma && !"false".equals(System.getProperty("vicinity.cuda.wgmma"));
  }

  /**
   * attention.cu tc_smem_bytes: double-buffered K and V tiles (64 rows, pitch D + 8 halves); the wgmma kernel's
   * swizzled tiles, their 1024-byte alignment and its block of ones fit in the same bytes (a static_assert there).
   */
  static int attentionSharedBytes(int headDim) {
    return 2 * 2 * 64 * (headDim + 8) * 2;
  }

  static String gemmKernel(DType t) {
    return "vc_gemm_" + suffix(t);
  }

  /** GEMM CTA tile (rows, cols) and threads per dtype: tensor cores for 16-bit, SIMT fp32 otherwise. */
  static int[] gemmTile(DType t) {
    return t == DType.F32 ? new int[] {64, 64, 256} : new int[] {128, 128, 256};
  }
}
