package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.Shapes.require;

import io.vicinity.kernels.Activation;

/**
 * Unpadded 3-D convolution on channels-last [B, T, H, W, Cin] input: the output voxels are gathered tile by
 * tile into (kt, ky, kx, ci) patch rows (im2col) and multiplied by the repacked weight with {@link Gemm}.
 * When stride equals kernel (VideoMAE's tubelet embedding) the patches do not overlap and this is exactly
 * "patch extraction + linear".
 */
final class Conv3d {
  static final String OP = "conv3d";

  private Conv3d() {}

  /** Geometry of one call, checked against the operator contract. */
  record Shape(int batch, int t, int h, int w, int cin, int cout, int kt, int kh, int kw,
      int st, int sh, int sw, int to, int ho, int wo) {

    static Shape of(int[] x, int[] weight, int st, int sh, int sw) {
      require(x.length == 5 && weight.length == 5 && weight[1] == x[4], OP,
          "x [B, T, H, W, Cin] does not match weight [Cout, Cin, kt, kh, kw]: x", x, "weight", weight);
      require(st >= 1 && sh >= 1 && sw >= 1, OP, "strides must be >= 1, got (" + st + ", " + sh + ", " + sw
          + ") for x", x);
      require(x[1] >= weight[2] && x[2] >= weight[3] && x[3] >= weight[4], OP,
          "kernel larger than the input: x", x, "weight", weight);
      return new Shape(x[0], x[1], x[2], x[3], x[4], weight[0], weight[2], weight[3], weight[4], st, sh, sw,
          (x[1] - weight[2]) / st + 1, (x[2] - weight[3]) / sh + 1, (x[3] - weight[4]) / sw + 1);
    }

    int[] outputShape() {
      return new int[] {batch, to, ho, wo, cout};
    }

    int patchLength() {
      return kt * kh * kw * cin;
    }
  }

  /** The weight [cout, cin, kt, kh, kw] as a matrix [cout, (kt, ky, kx, ci)], matching the patch rows. */
  static PackedMatrix packWeight(float[] w, Shape s) {
    int cin = s.cin();
    return PackedMatrix.ofRows(
        s.cout(),
        s.patchLength(),
        (co, col) -> {
          int ci = col % cin;
          int tap = col / cin;
          int kx = tap % s.kw();
          int ky = (tap / s.kw()) % s.kh();
          int kt = tap / (s.kw() * s.kh());
          return w[(((co * cin + ci) * s.kt() + kt) * s.kh() + ky) * s.kw() + kx];
        });
  }

  static void run(Parallel parallel, float[] x, Shape s, PackedMatrix w, float[] bias, float[] out) {
    int voxels = s.batch() * s.to() * s.ho() * s.wo();
    int k = s.patchLength();
    int tile = MatrixOps.ROW_TILE;
    Gemm.Epilogue epilogue = new Gemm.Epilogue(bias, Activation.NONE, null, null);
    parallel.forRange(
        (voxels + tile - 1) / tile,
        1,
        (from, to) -> {
          Gemm.Scratch scratch = new Gemm.Scratch();
          float[] patches = new float[tile * k];
          for (int t = from; t < to; t++) {
            int voxel0 = t * tile;
            int rows = Math.min(tile, voxels - voxel0);
            gatherPatches(x, s, voxel0, rows, patches);
            Gemm.multiplyRows(patches, 0, k, rows, w, 0, w.panelCount(), epilogue, out, voxel0, scratch);
          }
        });
  }

  /** Row r = the (kt, ky, kx, ci) patch of output voxel voxel0 + r; each kx run of Cin values is contiguous. */
  private static void gatherPatches(float[] x, Shape s, int voxel0, int rows, float[] patches) {
    int cin = s.cin();
    int k = s.patchLength();
    for (int r = 0; r < rows; r++) {
      int voxel = voxel0 + r;
      int ox = voxel % s.wo();
      int oy = (voxel / s.wo()) % s.ho();
      int ot = (voxel / (s.wo() * s.ho())) % s.to();
      int b = voxel / (s.wo() * s.ho() * s.to());
      int dst = r * k;
      for (int kt = 0; kt < s.kt(); kt++) {
        int it = ot * s.st() + kt;
        for (int ky = 0; ky < s.kh(); ky++) {
          int iy = oy * s.sh() + ky;
          int src = (((b * s.t() + it) * s.h() + iy) * s.w() + ox * s.sw()) * cin;
          System.arraycopy(x, src, patches, dst, s.kw() * cin);
          dst += s.kw() * cin;
        }
      }
    }
  }
}
