package io.vicinity.udfs.video.decode;

import java.util.Arrays;

/**
 * Which source frames make one clip.
 *
 * @param clipIndex 0-based position of the clip in the video
 * @param frameIndices the source frame of each clip frame, padding included (a padded clip repeats its last
 *     real frame)
 * @param realFrames how many leading entries of {@code frameIndices} are distinct decoded frames
 * @param padded true when the video ended before the clip was full
 */
public record ClipPlan(int clipIndex, int[] frameIndices, int realFrames, boolean padded) {
  public ClipPlan {
    frameIndices = frameIndices.clone();
  }

  @Override
  public int[] frameIndices() {
    return frameIndices.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClipPlan p && p.clipIndex == clipIndex && p.realFrames == realFrames
        && p.padded == padded && Arrays.equals(p.frameIndices, frameIndices);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(frameIndices) + clipIndex;
  }

  @Override
  public String toString() {
    return "clip " + clipIndex + " " + Arrays.toString(frameIndices) + (padded ? " padded, " + realFrames + " real" : "");
  }
}
