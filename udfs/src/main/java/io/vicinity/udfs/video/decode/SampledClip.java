package io.vicinity.udfs.video.decode;

import io.vicinity.udfs.video.VideoClip;
import java.util.ArrayList;
import java.util.List;

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
   * have the same size.
   */
  public VideoClip toVideoClip(String id) {
    int w = frames.get(0).image().width();
    int h = frames.get(0).image().height();
    List<byte[]> rgb = new ArrayList<>(frames.size());
    for (DecodedFrame f : frames) {
      if (f.image().width() != w || f.image().height() != h) {
        throw new IllegalArgumentException("frame size changes inside the clip: frame " + frames.get(0).index()
            + " is " + w + "x" + h + ", frame " + f.index() + " is " + f.image().width() + "x" + f.image().height());
      }
      rgb.add(f.image().rgb());
    }
    return VideoClip.ofFrames(id, h, w, rgb);
  }

  /** Bytes of pixel data in this clip as a VideoClip (a padding frame counts each time it repeats). */
  public long rgbBytes() {
    DecodedFrame f = frames.get(0);
    return (long) f.image().width() * f.image().height() * 3 * frames.size();
  }
}
