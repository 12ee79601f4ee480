package io.vicinity.udfs.testing;

/** Layout conversions between Hugging Face's tensors (channels-first) and ours (channels-last). */
public final class Layouts {
  private Layouts() {}

  /** NCHW (HF's pixel_values) -> NHWC (our backends' input). */
  public static float[] toChannelsLast(float[] nchw, int n, int c, int h, int w) {
    float[] out = new float[nchw.length];
    for (int b = 0; b < n; b++) {
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            out[((b * h + y) * w + x) * c + ch] = nchw[((b * c + ch) * h + y) * w + x];
          }
        }
      }
    }
    return out;
  }
}
