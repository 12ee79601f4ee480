package io.vicinity.udfs.segment;

/**
 * torch's {@code interpolate(mode="bilinear", align_corners=False)} on the host, for channels-last maps, in
 * double precision: {@link SegmentationLogits#atInputSize}, for callers who want Hugging Face's logits
 * themselves (the job's label maps come from the backend, {@code Backend.classMaps}).
 */
final class BilinearResize {
  private BilinearResize() {}

  /** For each output index on one axis: the two input indexes and the weight of the second. */
  record Axis(int[] lo, int[] hi, double[] weightHi) {
    /** torch's rule: source = max(scale * (dst + 0.5) - 0.5, 0) with scale = in / out. */
    static Axis of(int inSize, int outSize) {
      int[] lo = new int[outSize];
      int[] hi = new int[outSize];
      double[] weightHi = new double[outSize];
      double scale = (double) inSize / outSize;
      for (int d = 0; d < outSize; d++) {
        double src = Math.max(scale * (d + 0.5) - 0.5, 0.0);
        int index = Math.min((int) src, inSize - 1);
        lo[d] = index;
        hi[d] = index < inSize - 1 ? index + 1 : index;
        weightHi[d] = Math.min(Math.max(src - index, 0.0), 1.0);
      }
      return new Axis(lo, hi, weightHi);
    }
  }

  /** [h, w, c] -> [outH, outW, c]. */
  static float[] resize(float[] hwc, int h, int w, int c, int outH, int outW) {
    Axis ys = Axis.of(h, outH);
    Axis xs = Axis.of(w, outW);
    float[] out = new float[outH * outW * c];
    double[] pixel = new double[c];
    for (int y = 0; y < outH; y++) {
      for (int x = 0; x < outW; x++) {
        interpolate(hwc, w, c, ys, y, xs, x, pixel);
        int o = (y * outW + x) * c;
        for (int k = 0; k < c; k++) {
          out[o + k] = (float) pixel[k];
        }
      }
    }
    return out;
  }

  /** The c values of output pixel (y, x) into {@code pixel}, combined as torch does (rows of columns). */
  static void interpolate(float[] hwc, int w, int c, Axis ys, int y, Axis xs, int x, double[] pixel) {
    double wy1 = ys.weightHi[y];
    double wy0 = 1 - wy1;
    double wx1 = xs.weightHi[x];
    double wx0 = 1 - wx1;
    int p00 = (ys.lo[y] * w + xs.lo[x]) * c;
    int p01 = (ys.lo[y] * w + xs.hi[x]) * c;
    int p10 = (ys.hi[y] * w + xs.lo[x]) * c;
    int p11 = (ys.hi[y] * w + xs.hi[x]) * c;
    for (int k = 0; k < c; k++) {
      pixel[k] = wy0 * (wx0 * hwc[p00 + k] + wx1 * hwc[p01 + k])
          + wy1 * (wx0 * hwc[p10 + k] + wx1 * hwc[p11 + k]);
    }
  }
}
