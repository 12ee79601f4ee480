package io.vicinity.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.AttentionMask;
import org.junit.jupiter.api.Test;

/** The tile-floor tool counts what the benchmark's chunk coverage counts, and brackets the density. */
class RadialGranularityTest {

  @Test
  void frameAlignedTilesMatchTheBenchmarksChunkCoverage() {
    // With 32 tokens per frame, 16-token chunks never straddle frames: both counts must agree exactly.
    AttentionMask.Radial mask = new AttentionMask.Radial(24, 32, 1.0, false);
    double chunks = RadialBenchmark.consecutiveTileCoverage(mask, 24 * 32)[0];
    assertEquals(chunks, RadialGranularity.fraction(mask, 1, 16, 1, 16), 1e-12);
  }

  @Test
  void singleTokenTilesGiveTheDensityAndLargerTilesMore() {
    AttentionMask.Radial mask = new AttentionMask.Radial(12, 20, 0.5, true);
    assertEquals(mask.density(), RadialGranularity.fraction(mask, 1, 1, 1, 1), 1e-12);
    double fine = RadialGranularity.fraction(mask, 1, 4, 1, 4);
    double coarse = RadialGranularity.fraction(mask, 1, 8, 1, 8);
    assertTrue(mask.density() < fine && fine <= coarse, mask.density() + " < " + fine + " <= " + coarse);
  }

  @Test
  void distanceBandsSplitTheCountAndPerBandTilesLieBetweenDensityAndOneTile() {
    AttentionMask.Radial mask = new AttentionMask.Radial(20, 24, 1.0, false);
    int[] tile = {2, 8, 1, 8};
    double whole = RadialGranularity.fraction(mask, tile[0], tile[1], tile[2], tile[3]);
    // one frame distance per pass: the passes' tiles together cover at least the whole-range tiles' allowed pairs
    double perDistance = 0;
    for (int dist = 0; dist < mask.frames(); dist++) {
      perDistance += RadialGranularity.fraction(mask, tile[0], tile[1], tile[2], tile[3], dist, dist);
    }
    assertTrue(perDistance >= whole - 1e-12, perDistance + " >= " + whole);
    assertEquals(whole, RadialGranularity.fraction(mask, tile[0], tile[1], tile[2], tile[3], 0, mask.frames()), 1e-12);
    double banded = RadialGranularity.bestPerBand(mask, new int[][] {tile});
    assertTrue(banded >= mask.density() && banded <= perDistance + 1e-12, mask.density() + " <= " + banded + " <= " + perDistance);
    double best = RadialGranularity.bestPerBand(mask, RadialGranularity.SMALL_TILES);
    assertTrue(best <= banded + 1e-12, best + " <= " + banded);
  }
}
