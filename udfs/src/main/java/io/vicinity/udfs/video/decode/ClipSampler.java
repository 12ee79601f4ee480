package io.vicinity.udfs.video.decode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cuts clips out of a video by {@link ClipSampling}: {@link #plan} for a known frame count (pure), and an
 * {@link Assembler} that does the same while frames stream out of the decoder, so only the frames of
 * unfinished clips are held. Both give the same clips (tested against each other). After the last full
 * clip, the first window the video ends inside becomes the partial clip (padded or dropped); later windows
 * would only hold frames that partial clip already has, so there is at most one.
 */
public final class ClipSampler {
  private final ClipSampling sampling;

  /** {@code sampling} must be resolved (no defaults left to fill in). */
  public ClipSampler(ClipSampling sampling) {
    if (!sampling.resolved()) {
      throw new IllegalArgumentException("clip sampling has unresolved defaults: " + sampling
          + " (call resolve(numFrames) first)");
    }
    this.sampling = sampling;
  }

  public ClipSampling sampling() {
    return sampling;
  }

  /** The clips of a video of {@code frameCount} decoded frames. */
  public List<ClipPlan> plan(int frameCount) {
    int f = sampling.clipFrames();
    int s = sampling.frameStride();
    long c = sampling.clipStride();
    long sampled = (frameCount + (long) s - 1) / s; // source frames 0, s, 2s, ... below frameCount
    List<ClipPlan> plans = new ArrayList<>();
    for (int k = 0; sampling.maxClips() == 0 || k < sampling.maxClips(); k++) {
      long start = k * c;
      if (start >= sampled) {
        break;
      }
      int real = (int) Math.min(f, sampled - start);
      if (real < f && sampling.partial() == ClipSampling.Partial.DROP) {
        break;
      }
      int[] indices = new int[f];
      for (int j = 0; j < f; j++) {
        indices[j] = Math.toIntExact((start + Math.min(j, real - 1)) * s);
      }
      plans.add(new ClipPlan(k, indices, real, real < f));
      if (real < f) {
        break;
      }
    }
    return plans;
  }

  public Assembler assembler() {
    return new Assembler();
  }

  /** Builds clips from frames in decode order; not thread-safe (one per video). */
  public final class Assembler {
    private final TreeMap<Integer, List<DecodedFrame>> open = new TreeMap<>();
    private int emitted;
    private int expectedIndex;
    private boolean finished;

    private Assembler() {}

    /** Takes the next decoded frame; returns the clips it completes (usually none or one). */
    public List<SampledClip> accept(DecodedFrame frame) {
      if (finished) {
        throw new IllegalStateException("assembler already finished");
      }
      if (frame.index() != expectedIndex) {
        throw new IllegalArgumentException("frames must come in order: expected " + expectedIndex + ", got "
            + frame.index());
      }
      expectedIndex++;
      int s = sampling.frameStride();
      if (frame.index() % s != 0 || done()) {
        return List.of();
      }
      long m = frame.index() / s;
      int f = sampling.clipFrames();
      long c = sampling.clipStride();
      // Windows k with k*c <= m < k*c + f.
      long first = m >= f ? (m - f) / c + 1 : 0;
      long last = m / c;
      if (sampling.maxClips() > 0) {
        last = Math.min(last, sampling.maxClips() - 1L);
      }
      List<SampledClip> done = new ArrayList<>(1);
      for (long k = first; k <= last; k++) {
        List<DecodedFrame> window = open.computeIfAbsent((int) k, x -> new ArrayList<>(f));
        window.add(frame);
        if (window.size() == f) {
          open.remove((int) k);
          done.add(clip((int) k, window, f));
          emitted++;
        }
      }
      return done;
    }

    /** True once every clip {@code maxClips} allows is complete: the rest of the video is not needed. */
    public boolean done() {
      return sampling.maxClips() > 0 && emitted >= sampling.maxClips();
    }

    /** The end of the video: the partial clip, padded, if the policy keeps it. */
    public List<SampledClip> finish() {
      finished = true;
      Map.Entry<Integer, List<DecodedFrame>> partial = open.firstEntry();
      open.clear();
      if (partial == null || done() || sampling.partial() == ClipSampling.Partial.DROP) {
        return List.of();
      }
      return List.of(clip(partial.getKey(), partial.getValue(), partial.getValue().size()));
    }

    private SampledClip clip(int k, List<DecodedFrame> real, int realCount) {
      int f = sampling.clipFrames();
      List<DecodedFrame> frames = new ArrayList<>(f);
      int[] indices = new int[f];
      for (int j = 0; j < f; j++) {
        DecodedFrame d = real.get(Math.min(j, realCount - 1));
        frames.add(d);
        indices[j] = d.index();
      }
      DecodedFrame lastReal = real.get(realCount - 1);
      return new SampledClip(new ClipPlan(k, indices, realCount, realCount < f), frames, real.get(0).timestampMs(),
          lastReal.endMs());
    }
  }
}
