package io.vicinity.udfs.video.decode;

import io.vicinity.udfs.video.VideoClip;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A clip with its decoded frames ({@code plan.frameIndices()} order, padding repeats included).
 *
 * @param startMs timestamp of the first frame
 * @param endMs end of the last real frame (its timestamp plus its duration)
 */
public record SampledClip(ClipPlan plan, List<DecodedFrame> frames, long startMs, long endMs) {
  public SampledClip {
    frames = List.copyOf(frames);
  }

  /**
   * The frames as a uint8 clip for VideoInference, each frame's bytes as decoded (not copied); every frame must
   * have the same size and hold the same window of it.
   */
  public VideoClip toVideoClip(String id) {
    DecodedFrame first = frames.get(0);
    List<byte[]> rgb = new ArrayList<>(frames.size());
    for (DecodedFrame f : frames) {
      if (f.width() != first.width() || f.height() != first.height()) {
        throw new IllegalArgumentException("frame size changes inside the clip: frame " + first.index() + " is "
            + first.width() + "x" + first.height() + ", frame " + f.index() + " is " + f.width() + "x" + f.height());
      }
      if (!Objects.equals(f.window(), first.window())) {
        throw new IllegalArgumentException("frames " + first.index() + " and " + f.index() + " hold different "
            + "windows: " + first.window() + ", " + f.window());
      }
      rgb.add(f.image().rgb());
    }
    return VideoClip.ofFrames(id, first.height(), first.width(), first.window(), rgb);
  }

  /** Bytes of pixel data in this clip as a VideoClip (a padding frame counts each time it repeats). */
  public long rgbBytes() {
    DecodedFrame f = frames.get(0);
    return (long) f.image().width() * f.image().height() * 3 * frames.size();
  }
}
