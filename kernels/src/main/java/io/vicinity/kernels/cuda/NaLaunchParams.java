package io.vicinity.kernels.cuda;

/**
 * Mirrors {@code struct NaParams} in na2d.cu: pointers, then 64-bit shapes and element strides.
 * q of token (b, y, x) head h is at {@code qkv + b*sB + y*sY + x*sX + h*headDim}; k at +C, v at +2C.
 */
record NaLaunchParams(
    DevicePtr qkv, DevicePtr rpb, DevicePtr out,
    long batch, long height, long width, long heads, long headDim, long kernel, long dilation,
    long sB, long sY, long sX, long oB, long oY, long oX, float scale) {

  static final int BYTES = 136;

  byte[] toBytes() {
    return new ParamBlock(BYTES).ptr(qkv).ptr(rpb).ptr(out)
        .i64(batch).i64(height).i64(width).i64(heads).i64(headDim).i64(kernel).i64(dilation)
        .i64(sB).i64(sY).i64(sX).i64(oB).i64(oY).i64(oX).f32(scale).i32(0).bytes();
  }
}
