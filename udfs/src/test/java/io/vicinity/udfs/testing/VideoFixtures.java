package io.vicinity.udfs.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.image.ImagePreprocessor;
import io.vicinity.udfs.video.VideoAttention;
import io.vicinity.udfs.video.VideoClip;
import io.vicinity.udfs.video.VideoInference;
import io.vicinity.udfs.video.VideoPreprocessing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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

  /** frames_u8.npy, uint8 frames [N, T, H0, W0, 3] before preprocessing, as decoded clips "clip0", "clip1", ... */
  public static List<VideoClip> readRgbClips(Path file) {
    Npy.Array frames = Npy.read(file);
    int[] s = frames.shape();
    byte[] all = frames.bytes();
    int per = s[1] * s[2] * s[3] * 3;
    List<VideoClip> clips = new ArrayList<>();
    for (int i = 0; i < s[0]; i++) {
      clips.add(VideoClip.ofContiguousRgb("clip" + i, s[1], s[2], s[3],
          Arrays.copyOfRange(all, i * per, (i + 1) * per)));
    }
    return clips;
  }

  /**
   * {@code clips} preprocessed on the host to float32 by the model directory's preprocessor_config.json, as
   * model-ready clips of the same ids.
   */
  public static List<VideoClip> preprocessedOnHost(Path modelDir, List<VideoClip> clips) {
    VideoPreprocessing host;
    try {
      host = VideoPreprocessing.fromJson(new ObjectMapper().readTree(
          modelDir.resolve("preprocessor_config.json").toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<VideoClip> out = new ArrayList<>();
    for (VideoClip c : clips) {
      ImagePreprocessor.Size size = host.outputSize(c.height(), c.width());
      out.add(VideoClip.ofPixels(c.id(), c.frames(), size.height(), size.width(),
          host.preprocess(c)));
    }
    return out;
  }

  /**
   * {@code clips} (whole frames) cut to the window of each frame {@code inference} reads, as a decoder gives them
   * ({@link VideoInference#framesWindow}); a clip whose frames are read whole stays as it is.
   */
  public static List<VideoClip> windowed(VideoInference inference, List<VideoClip> clips) {
    List<VideoClip> out = new ArrayList<>();
    for (VideoClip c : clips) {
      ByteResample.Window w = inference.framesWindow(c.height(), c.width());
      if (w == null) {
        out.add(c);
        continue;
      }
      List<byte[]> frames = new ArrayList<>();
      for (byte[] frame : c.rgbFrames()) {
        frames.add(w.cut(frame, 0, c.width()));
      }
      out.add(VideoClip.ofFrames(c.id(), c.height(), c.width(), w, frames));
    }
    return out;
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
