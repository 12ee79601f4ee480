package io.vicinity.kernels.cuda;

/**
 * Mirrors {@code struct ConvDirectParams} in conv.cu: the direct convolution for small patches (the RGB
 * stem), used instead of im2col + GEMM when {@link #fits} holds.
 */
record ConvDirectLaunchParams(
    DevicePtr in, DevicePtr w, DevicePtr bias, DevicePtr out, long batch, long height, long width, long cin,
    long kh, long kw, long stride, long pad, long outH, long outW, long cout) {

  static final int BYTES = 120;
  /** conv.cu CD_KC and CD_MAXC: patch length held in registers, output channels held in shared memory. */
  static final int MAX_PATCH = 32;
  static final int MAX_COUT = 128;

  /** Benchmarks only: route every conv2d through im2col + GEMM (before/after timings). */
  static volatile boolean disabled = Boolean.getBoolean("vicinity.conv.im2colOnly");

  /** Patch of at most 32 values, Cout a multiple of 8 up to 128 (8-channel 16-byte stores), aligned output. */
  static boolean fits(long cin, long kh, long kw, long cout, long outAddress) {
    return !disabled && cin * kh * kw <= MAX_PATCH && cout % 8 == 0 && cout <= MAX_COUT && outAddress % 16 == 0;
  }

  byte[] toBytes() {
    return new ParamBlock(BYTES).ptr(in).ptr(w).ptr(bias).ptr(out).i64(batch).i64(height).i64(width).i64(cin)
        .i64(kh).i64(kw).i64(stride).i64(pad).i64(outH).i64(outW).i64(cout).bytes();
  }
}
