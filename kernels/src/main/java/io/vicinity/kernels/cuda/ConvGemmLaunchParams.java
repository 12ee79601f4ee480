package io.vicinity.kernels.cuda;

/**
 * Mirrors {@code struct ConvGemmParams} in gemm.cu: an implicit-GEMM convolution, the product's parameters
 * (x = the NHWC input, w = the weight as [Cout, kh, kw, Cin], m = B * outH * outW, k = kh * kw * Cin) and the
 * window geometry.
 */
record ConvGemmLaunchParams(GemmLaunchParams gemm, long height, long width, long cin, long kh, long kw, long stride,
    long pad, long outH, long outW) {
  static final int BYTES = GemmLaunchParams.BYTES + 9 * 8;

  byte[] toBytes() {
    ParamBlock b = new ParamBlock(BYTES).bytes(gemm.toBytes());
    return b.i64(height).i64(width).i64(cin).i64(kh).i64(kw).i64(stride).i64(pad).i64(outH).i64(outW).bytes();
  }
}
