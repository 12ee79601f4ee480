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
}
