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
    int nkmax = (side * side + 64 + 15) / 16 * 16;
    int rpbMax = (2 * NA_MAX_KERNEL - 1) * (2 * NA_MAX_KERNEL - 1);
    return 2 * (nkmax * (headDim + 8) + headDim * (nkmax + 8)) + 4 * rpbMax + 2 * nkmax;
  }

  static String gemmKernel(DType t) {
    return "vc_gemm_" + suffix(t);
  }

  /** GEMM CTA tile (rows, cols) and threads per dtype: tensor cores for 16-bit, SIMT fp32 otherwise. */
  static int[] gemmTile(DType t) {
    return t == DType.F32 ? new int[] {64, 64, 256} : new int[] {128, 128, 256};
  }
}
