package io.vicinity.udfs.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.vicinity.udfs.video.VideoAttention;
import java.nio.file.Path;

/** Reads the fixtures of scripts/reference/make_videomae_fixtures.py. */
public final class VideoFixtures {
  private VideoFixtures() {}

  /** A clip tensor, {@code count} clips of {@code frames} frames, as our backends take it: [N, T, H, W, 3]. */
  public record Clips(int count, int frames, int height, int width, float[] channelsLast) {}

  /** HF's [N, T, C, H, W] float32 -> our [N, T, H, W, C]. */
  public static Clips readClips(Path file) {
    Npy.Array a = Npy.read(file);
    int[] s = a.shape();
    float[] channelsLast = Layouts.toChannelsLast(a.floats(), s[0] * s[1], s[2], s[3], s[4]);
    return new Clips(s[0], s[1], s[3], s[4], channelsLast);
  }

  /** One entry of masks.json (a radial or 3-D neighborhood mode) as the attention our model takes. */
  public static VideoAttention attentionOf(JsonNode mode) {
    if ("radial".equals(mode.get("kind").asText())) {
      return VideoAttention.radial(mode.get("dense_layers").asInt(), mode.get("delta").asDouble(),
          mode.get("sink").asBoolean());
    }
    int[] kernel = new int[3];
    int[] dilation = new int[3];
    for (int i = 0; i < 3; i++) {
      kernel[i] = mode.get("kernel").get(i).asInt();
      dilation[i] = mode.get("dilation").get(i).asInt();
    }
    return VideoAttention.neighborhood3d(kernel, dilation);
  }
}
