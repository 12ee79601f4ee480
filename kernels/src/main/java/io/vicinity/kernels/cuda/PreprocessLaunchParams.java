package io.vicinity.kernels.cuda;

/** Mirrors {@code struct PreprocessParams} in resample.cu (uint8 RGB -> resized, normalised NHWC). */
record PreprocessLaunchParams(
    DevicePtr in, DevicePtr out, long batch, long height, long width, long outH, long outW,
    float[] mean, float[] std) {

  static final int BYTES = 80;

  byte[] toBytes() {
    ParamBlock p = new ParamBlock(BYTES).ptr(in).ptr(out).i64(batch).i64(height).i64(width).i64(outH).i64(outW);
    for (int c = 0; c < 3; c++) {
      p.f32(mean[c]);
    }
    for (int c = 0; c < 3; c++) {
      p.f32(1.0f / std[c]);
    }
    return p.bytes();
  }
}
