package io.vicinity.kernels.cuda;

import io.vicinity.kernels.Shapes;

/**
 * One {@code conv3d} call on the GPU: im2col3d (attention.cu, column order (ci, kt, kh, kw) = PyTorch's weight
 * flattened) then the GEMM family. Mirrors {@code struct Im2col3dParams}.
 */
record Conv3dLaunch(int[] x, int[] weight, int st, int sh, int sw, int ot, int oh, int ow) {
  static final String OP = "conv3d";
  static final int PARAM_BYTES = 128;

  static Conv3dLaunch plan(int[] x, int[] w, int st, int sh, int sw) {
    Shapes.require(x.length == 5 && w.length == 5 && w[1] == x[4], OP,
        "x [B, T, H, W, Cin] does not match weight [Cout, Cin, kt, kh, kw]: x", x, "weight", w);
    Shapes.require(st >= 1 && sh >= 1 && sw >= 1, OP, "strides must be >= 1, got (" + st + ", " + sh + ", " + sw
        + ") for x", x);
    Shapes.require(x[1] >= w[2] && x[2] >= w[3] && x[3] >= w[4], OP, "kernel larger than the input: x", x, "weight", w);
    return new Conv3dLaunch(x.clone(), w.clone(), st, sh, sw, (x[1] - w[2]) / st + 1, (x[2] - w[3]) / sh + 1,
        (x[3] - w[4]) / sw + 1);
  }

  int cout() {
    return weight[0];
  }

  int[] outputShape() {
    return new int[] {x[0], ot, oh, ow, weight[0]};
  }

  /** GEMM rows: one per output voxel. */
  long rows() {
    return (long) x[0] * ot * oh * ow;
  }

  int patchLength() {
    return weight[1] * weight[2] * weight[3] * weight[4];
  }

  byte[] params(DevicePtr in, DevicePtr col) {
    return new ParamBlock(PARAM_BYTES).ptr(in).ptr(col).i64(x[0]).i64(x[1]).i64(x[2]).i64(x[3]).i64(x[4])
        .i64(weight[2]).i64(weight[3]).i64(weight[4]).i64(st).i64(sh).i64(sw).i64(ot).i64(oh).i64(ow).bytes();
  }
}
