package io.vicinity.kernels.cuda;

/** Mirrors {@code struct GemmParams} in gemm.cu: {@code out = residual + scale * act(x w^T + bias)}. */
record GemmLaunchParams(
    DevicePtr x, DevicePtr w, DevicePtr bias, DevicePtr scale, DevicePtr residual, DevicePtr out,
    long m, long n, long k, long ldx, long ldw, long ldo, int activation) {

  static final int BYTES = 104;

  byte[] toBytes() {
    return new ParamBlock(BYTES).ptr(x).ptr(w).ptr(bias).ptr(scale).ptr(residual).ptr(out)
        .i64(m).i64(n).i64(k).i64(ldx).i64(ldw).i64(ldo).i32(activation).i32(0).bytes();
  }
}
