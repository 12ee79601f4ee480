package io.vicinity.udfs.video.decode;

/**
 * How clips are cut from a video (the job's --clip-frames, --frame-stride, --clip-stride,
 * --max-clips-per-video, --partial-clips). Frames are first sampled every {@code frameStride}-th source
 * frame; clips are windows of {@code clipFrames} sampled frames whose starts are {@code clipStride} sampled
 * frames apart (torchvision's VideoClips counts the step the same way). So the defaults give consecutive,
 * non-overlapping clips; a stride below clipFrames overlaps clips, above it leaves gaps.
 *
 * @param clipFrames frames per clip; 0: the model's num_frames (see {@link #resolve})
 * @param frameStride take every n-th source frame (1: consecutive frames)
 * @param clipStride sampled frames between clip starts; 0: clipFrames
 * @param maxClips at most this many clips per video, from the start; 0: no limit
 * @param partial what to do with a last clip the video ends too early to fill
 */
public record ClipSampling(int clipFrames, int frameStride, int clipStride, int maxClips, Partial partial) {

  /** The last clip of a video that ends early. */
  public enum Partial {
    /** Fill it by repeating its last real frame; the row says how many frames are real. */
    PAD,
    /** Leave it out. */
    DROP
  }

  /** Model-sized, consecutive, non-overlapping clips, all of them, the last one padded. */
  public static final ClipSampling DEFAULTS = new ClipSampling(0, 1, 0, 0, Partial.PAD);

  public ClipSampling {
    if (clipFrames < 0 || frameStride < 1 || clipStride < 0 || maxClips < 0 || partial == null) {
      throw new IllegalArgumentException("clip sampling: need clip-frames >= 0 (0: the model's), frame-stride >= 1,"
          + " clip-stride >= 0 (0: clip-frames), max-clips-per-video >= 0 (0: no limit) and a partial-clip"
          + " policy; got clip-frames=" + clipFrames + ", frame-stride=" + frameStride + ", clip-stride="
          + clipStride + ", max-clips-per-video=" + maxClips + ", partial=" + partial);
    }
  }

  /** The defaults filled in: clipFrames from the model's {@code numFrames}, clipStride from clipFrames. */
  public ClipSampling resolve(int numFrames) {
    int frames = clipFrames == 0 ? numFrames : clipFrames;
    return new ClipSampling(frames, frameStride, clipStride == 0 ? frames : clipStride, maxClips, partial);
  }

  /** True when every default has been filled in. */
  public boolean resolved() {
    return clipFrames > 0 && clipStride > 0;
  }
}
