package io.vicinity.udfs.video;

import io.vicinity.udfs.testing.Npy;
import java.nio.file.Path;

/** Reads the fixtures of scripts/reference/make_videomae_fixtures.py. */
final class VideoFixtures {
  private VideoFixtures() {}

  /** A clip tensor as HF stores it, [N, T, 3, H, W] float32. */
  record Clips(int count, int frames, int height, int width, float[] channelsLast) {}

  /** HF's [N, T, C, H, W] -> our [N, T, H, W, C]. */
  static Clips readClips(Path file) {
    Npy.Array a = Npy.read(file);
    int[] s = a.shape();
    int n = s[0];
    int t = s[1];
    int c = s[2];
    int h = s[3];
    int w = s[4];
    float[] in = a.floats();
    float[] out = new float[in.length];
    for (int f = 0; f < n * t; f++) {
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            out[((f * h + y) * w + x) * c + ch] = in[((f * c + ch) * h + y) * w + x];
          }
        }
      }
    }
    return new Clips(n, t, h, w, out);
  }
}
