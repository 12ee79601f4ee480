package io.vicinity.kernels.cuda;

/** Mirrors {@code struct Im2colParams} in conv.cu (NHWC input, column index ci*kh*kw + ky*kw + kx). */
record Im2colLaunchParams(
    DevicePtr in, DevicePtr col, long batch, long height, long width, long cin, long kh, long kw,
    long stride, long pad, long outH, long outW) {

  static final int BYTES = 96;

  byte[] toBytes() {
    return new ParamBlock(BYTES).ptr(in).ptr(col).i64(batch).i64(height).i64(width).i64(cin)
        .i64(kh).i64(kw).i64(stride).i64(pad).i64(outH).i64(outW).bytes();
  }
}
