package io.vicinity.udfs;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Cumulative wall time per pipeline stage (decode, preprocess, inference, postprocess), kept apart as
 * DJL's Predictor does, so a slow run says where its time went.
 */
public final class StageTimings {
  public enum Stage {
    DECODE,
    PREPROCESS,
    INFERENCE,
    POSTPROCESS
  }

  private final AtomicLong[] nanos = new AtomicLong[Stage.values().length];

  public StageTimings() {
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = new AtomicLong();
    }
  }

  void add(Stage stage, long elapsedNanos) {
    nanos[stage.ordinal()].addAndGet(elapsedNanos);
  }

  public double seconds(Stage stage) {
    return nanos[stage.ordinal()].get() / 1e9;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Stage s : Stage.values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(s.name().toLowerCase()).append(' ')
          .append(String.format("%.3f s", seconds(s)));
    }
    return sb.toString();
  }
}
