package io.vicinity.udfs.video.decode;

/**
 * Which frames of a video an image model sees (--task classify|segment on videos).
 *
 * @param frameStride every n-th frame, from frame 0 (1: every frame)
 * @param maxFrames at most this many frames per video, from the start; 0: no limit
 */
public record FrameSampling(int frameStride, int maxFrames) {
  public static final FrameSampling DEFAULTS = new FrameSampling(1, 0);

  public FrameSampling {
    if (frameStride < 1 || maxFrames < 0) {
      throw new IllegalArgumentException("frame sampling: need frame-stride >= 1 and max-frames >= 0 (0: no limit),"
          + " got " + frameStride + " and " + maxFrames);
    }
  }

  /** True when source frame {@code index} is sampled, given {@code taken} frames already were. */
  boolean takes(int index, int taken) {
    return index % frameStride == 0 && (maxFrames == 0 || taken < maxFrames);
  }

  /** True when no later frame can be sampled any more. */
  boolean full(int taken) {
    return maxFrames > 0 && taken >= maxFrames;
  }
}
