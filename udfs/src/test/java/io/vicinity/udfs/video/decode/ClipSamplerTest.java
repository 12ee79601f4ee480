package io.vicinity.udfs.video.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.image.RgbImage;
import io.vicinity.udfs.video.decode.ClipSampling.Partial;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClipSamplerTest {

  private static List<ClipPlan> plan(int f, int s, int c, int max, Partial p, int n) {
    return new ClipSampler(new ClipSampling(f, s, c, max, p)).plan(n);
  }

  @Test
  void defaultsAreConsecutiveNonOverlappingModelSizedClipsWithTheLastPadded() {
    ClipSampling s = ClipSampling.DEFAULTS.resolve(4);
    assertEquals(new ClipSampling(4, 1, 4, 0, Partial.PAD), s);
    List<ClipPlan> plans = new ClipSampler(s).plan(10);
    assertEquals(3, plans.size());
    assertArrayEquals(new int[] {0, 1, 2, 3}, plans.get(0).frameIndices());
    assertArrayEquals(new int[] {4, 5, 6, 7}, plans.get(1).frameIndices());
    assertArrayEquals(new int[] {8, 9, 9, 9}, plans.get(2).frameIndices());
    assertEquals(2, plans.get(2).realFrames());
    assertTrue(plans.get(2).padded());
    assertFalse(plans.get(1).padded());
  }

  @Test
  void frameStrideSamplesEveryNthFrameAndClipStrideCountsSampledFrames() {
    // Sampled frames 0 2 4 ... 18; clips of 3 starting every 2 sampled frames (overlapping by one).
    List<ClipPlan> plans = plan(3, 2, 2, 0, Partial.PAD, 20);
    assertArrayEquals(new int[] {0, 2, 4}, plans.get(0).frameIndices());
    assertArrayEquals(new int[] {4, 6, 8}, plans.get(1).frameIndices());
    assertArrayEquals(new int[] {8, 10, 12}, plans.get(2).frameIndices());
    assertArrayEquals(new int[] {12, 14, 16}, plans.get(3).frameIndices());
    assertArrayEquals(new int[] {16, 18, 18}, plans.get(4).frameIndices());
    assertEquals(5, plans.size());
  }

  @Test
  void clipStrideAboveClipFramesLeavesGaps() {
    List<ClipPlan> plans = plan(2, 1, 5, 0, Partial.DROP, 12);
    assertEquals(3, plans.size());
    assertArrayEquals(new int[] {0, 1}, plans.get(0).frameIndices());
    assertArrayEquals(new int[] {5, 6}, plans.get(1).frameIndices());
    assertArrayEquals(new int[] {10, 11}, plans.get(2).frameIndices());
  }

  @Test
  void maxClipsCutsFromTheStartAndDropRemovesThePartialClip() {
    assertEquals(2, plan(4, 1, 4, 2, Partial.PAD, 100).size());
    List<ClipPlan> dropped = plan(4, 1, 4, 0, Partial.DROP, 10);
    assertEquals(2, dropped.size());
    assertTrue(plan(4, 1, 4, 0, Partial.DROP, 3).isEmpty(), "too short for one clip");
    List<ClipPlan> shortPadded = plan(4, 1, 4, 0, Partial.PAD, 1);
    assertArrayEquals(new int[] {0, 0, 0, 0}, shortPadded.get(0).frameIndices());
    assertEquals(1, shortPadded.get(0).realFrames());
    assertTrue(plan(4, 1, 4, 0, Partial.PAD, 0).isEmpty(), "no frames, no clips");
  }

  @Test
  void overlappingClipsAtTheEndGiveOnlyOnePartialClip() {
    // Windows starting at 7, 8 and 9 all run past frame 9: only the first is kept (it holds the others' frames).
    List<ClipPlan> plans = plan(4, 1, 1, 0, Partial.PAD, 10);
    assertEquals(8, plans.size());
    assertArrayEquals(new int[] {7, 8, 9, 9}, plans.get(7).frameIndices());
  }

  @Test
  void unresolvedOrInvalidSettingsAreRefusedWithTheirNames() {
    assertThrows(IllegalArgumentException.class, () -> new ClipSampler(ClipSampling.DEFAULTS));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ClipSampling(8, 0, 8, 0, Partial.PAD));
    assertTrue(e.getMessage().contains("frame-stride=0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ClipSampling(8, 1, 8, -1, Partial.PAD));
  }

  /** Every setting in a small range and every video length: plan == brute force == the streaming assembler. */
  @Test
  void planMatchesABruteForceReferenceAndTheAssemblerExhaustively() {
    int cases = 0;
    for (int f = 1; f <= 5; f++) {
      for (int s = 1; s <= 3; s++) {
        for (int c = 1; c <= 6; c++) {
          for (int max = 0; max <= 3; max++) {
            for (Partial p : Partial.values()) {
              ClipSampler sampler = new ClipSampler(new ClipSampling(f, s, c, max, p));
              for (int n = 0; n <= 25; n++) {
                String what = "f=" + f + " s=" + s + " c=" + c + " max=" + max + " " + p + " n=" + n;
                List<ClipPlan> plans = sampler.plan(n);
                assertEquals(reference(f, s, c, max, p, n), plans, what);
                assertEquals(plans, assembled(sampler, n), what + " (assembler)");
                cases++;
              }
            }
          }
        }
      }
    }
    assertEquals(5 * 3 * 6 * 4 * 2 * 26, cases);
  }

  /** The definition, spelled out naively: list the sampled frames, slide the window, stop at the first short one. */
  private static List<ClipPlan> reference(int f, int s, int c, int max, Partial p, int n) {
    List<Integer> sampled = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (i % s == 0) {
        sampled.add(i);
      }
    }
    List<ClipPlan> out = new ArrayList<>();
    for (int k = 0; max == 0 || k < max; k++) {
      int start = k * c;
      if (start >= sampled.size()) {
        break;
      }
      List<Integer> window = sampled.subList(start, Math.min(sampled.size(), start + f));
      boolean partial = window.size() < f;
      if (partial && p == Partial.DROP) {
        break;
      }
      int[] idx = new int[f];
      for (int j = 0; j < f; j++) {
        idx[j] = window.get(Math.min(j, window.size() - 1));
      }
      out.add(new ClipPlan(k, idx, window.size(), partial));
      if (partial) {
        break;
      }
    }
    return out;
  }

  /** The assembler fed n frames (stopping when it says it is done), its clips as plans; checks timestamps. */
  private static List<ClipPlan> assembled(ClipSampler sampler, int n) {
    ClipSampler.Assembler a = sampler.assembler();
    RgbImage img = new RgbImage(1, 1, new byte[3]);
    List<SampledClip> clips = new ArrayList<>();
    for (int i = 0; i < n && !a.done(); i++) {
      clips.addAll(a.accept(new DecodedFrame(i, i * 40L, i * 40L + 40, img)));
    }
    clips.addAll(a.finish());
    List<ClipPlan> plans = new ArrayList<>();
    for (SampledClip clip : clips) {
      ClipPlan p = clip.plan();
      int[] idx = p.frameIndices();
      assertEquals(idx[0] * 40L, clip.startMs());
      assertEquals(idx[p.realFrames() - 1] * 40L + 40, clip.endMs(), "ends where the last real frame ends");
      for (int j = 0; j < idx.length; j++) {
        assertEquals(idx[j], clip.frames().get(j).index());
      }
      plans.add(p);
    }
    return plans;
  }
}
