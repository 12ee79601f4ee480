package io.vicinity.kernels.cuda;

/** Mirrors {@code struct WeightTapsParams} in conv.cu: [Cout, Cin, kh, kw] -> [Cout, kh, kw, Cin]. */
record WeightTapsLaunchParams(DevicePtr in, DevicePtr out, long cout, long cin, long taps) {
  static final int BYTES = 40;

  byte[] toBytes() {
    return new ParamBlock(BYTES).ptr(in).ptr(out).i64(cout).i64(cin).i64(taps).bytes();
  }
}
