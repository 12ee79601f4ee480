package io.vicinity.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.AttentionMask;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The mask rules against docs/design/radial-attention.md's worked cases and brute-force counts. */
class AttentionMaskTest {

  private static int token(int frame, int position, int tokensPerFrame) {
    return frame * tokensPerFrame + position;
  }

  @Test
  void radialWorkedCaseWindowInSecondBand() {
    // F=4, S=16, delta=1: frame 0 -> frame 2 is distance 2 (r=1): |k-l| <= 7 allowed, 8 not.
    AttentionMask.Radial m = new AttentionMask.Radial(4, 16, 1.0, false);
    assertTrue(m.allowed(token(0, 0, 16), token(2, 7, 16)));
    assertTrue(m.allowed(token(0, 9, 16), token(2, 2, 16)));
    assertFalse(m.allowed(token(0, 0, 16), token(2, 8, 16)));
    assertFalse(m.allowed(token(0, 15, 16), token(2, 7, 16)));
    assertTrue(m.allowed(token(2, 8, 16), token(0, 1, 16)), "the rule is symmetric in the frame distance");
  }

  @Test
  void radialWorkedCaseFarFramesAreSubsampled() {
    // S=4: distance 8 (r=3, 2^r > S) allows only k == l, and 8 % ceil(8/4) == 0; distance 9 does not.
    AttentionMask.Radial m = new AttentionMask.Radial(12, 4, 1.0, false);
    assertTrue(m.allowed(token(0, 3, 4), token(8, 3, 4)));
    assertFalse(m.allowed(token(0, 3, 4), token(8, 2, 4)));
    assertFalse(m.allowed(token(0, 3, 4), token(9, 3, 4)));
    assertTrue(m.allowed(token(1, 2, 4), token(11, 2, 4)), "distance 10: 10 % 2 == 0");
  }

  @Test
  void radialIsDenseForSameAndAdjacentFrames() {
    AttentionMask.Radial m = new AttentionMask.Radial(6, 16, 0.25, false);
    for (int k = 0; k < 16; k++) {
      for (int l = 0; l < 16; l++) {
        assertTrue(m.allowed(token(3, k, 16), token(3, l, 16)));
        assertTrue(m.allowed(token(3, k, 16), token(2, l, 16)));
        assertTrue(m.allowed(token(3, k, 16), token(4, l, 16)));
      }
    }
  }

  @Test
  void radialSinkOpensTheFirstFrameOnly() {
    AttentionMask.Radial withSink = new AttentionMask.Radial(8, 4, 1.0, true);
    AttentionMask.Radial without = new AttentionMask.Radial(8, 4, 1.0, false);
    assertFalse(without.allowed(token(7, 0, 4), token(0, 3, 4)));
    assertTrue(withSink.allowed(token(7, 0, 4), token(0, 3, 4)));
    assertFalse(withSink.allowed(token(0, 0, 4), token(7, 3, 4)), "the sink is a key frame, not a query frame");
    assertFalse(withSink.allowed(token(7, 0, 4), token(1, 3, 4)));
  }

  @Test
  void radialDeltaScalesTheWindow() {
    // delta * S / 2^r = 1.5 * 4 / 2 = 3 -> |k-l| <= 2 at distance 2; 1.5 at distance 4 -> only k == l.
    AttentionMask.Radial m = new AttentionMask.Radial(8, 4, 1.5, false);
    assertTrue(m.allowed(token(0, 0, 4), token(2, 2, 4)));
    assertFalse(m.allowed(token(0, 0, 4), token(2, 3, 4)));
    assertTrue(m.allowed(token(0, 1, 4), token(4, 1, 4)));
    assertFalse(m.allowed(token(0, 1, 4), token(4, 2, 4)));
  }

  @ParameterizedTest
  @CsvSource({"4, 16, 1.0, false", "8, 16, 1.0, false", "20, 4, 1.5, true", "33, 5, 1.0, false",
      "64, 16, 1.0, true", "16, 7, 0.3, false"})
  void radialDensityCountsExactlyTheAllowedPairs(int frames, int s, double delta, boolean sink) {
    AttentionMask.Radial m = new AttentionMask.Radial(frames, s, delta, sink);
    assertEquals(bruteDensity(m, m.tokens()), m.density(), 1e-15);
  }

  @Test
  void radialDensityNumbers() {
    // The values the fixture script computed from its own (Python) mask.
    assertEquals(0.712890625, new AttentionMask.Radial(8, 16, 1.0, false).density(), 0);
    assertEquals(0.455625, new AttentionMask.Radial(20, 4, 1.5, true).density(), 1e-15);
    // Sparsity grows with length: 64 frames of 16 tokens keep under a fifth of the pairs.
    double longClip = new AttentionMask.Radial(64, 16, 1.0, false).density();
    assertTrue(longClip < 0.2, "density " + longClip);
    assertEquals(1.0, AttentionMask.Dense.INSTANCE.density());
  }

  @Test
  void neighborhood3dMatchesPerAxisBruteForce() {
    int t = 5;
    int h = 6;
    int w = 7;
    AttentionMask.Neighborhood3d m = new AttentionMask.Neighborhood3d(t, h, w, 3, 3, 5, 1, 2, 1);
    for (int q = 0; q < m.tokens(); q++) {
      List<Integer> expected = neighbours3d(m, q);
      List<Integer> actual = new ArrayList<>();
      for (int key = 0; key < m.tokens(); key++) {
        if (m.allowed(q, key)) {
          actual.add(key);
        }
      }
      assertEquals(expected, actual, "query " + q);
    }
    assertEquals(3 * 3 * 5 / (double) (t * h * w), m.density(), 1e-15);
    assertEquals(bruteDensity(m, m.tokens()), m.density(), 1e-15);
  }

  @Test
  void masksRefuseImpossibleParameters() {
    assertThrows(IllegalArgumentException.class, () -> new AttentionMask.Radial(0, 16, 1, false));
    assertThrows(IllegalArgumentException.class, () -> new AttentionMask.Radial(4, 16, 0, false));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new AttentionMask.Neighborhood3d(4, 4, 4, 3, 3, 3, 2, 1, 1));
    assertTrue(e.getMessage().contains("(4, 4, 4)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new AttentionMask.Radial(4, 16, 1, false).checkTokens("op", 65));
    assertTrue(e.getMessage().contains("64 tokens") && e.getMessage().contains("65"), e.getMessage());
  }

  /** The keys of a 3-D query by the exhaustive per-axis search of NeighborhoodAttentionTest. */
  static List<Integer> neighbours3d(AttentionMask.Neighborhood3d m, int query) {
    int x = query % m.width();
    int y = (query / m.width()) % m.height();
    int t = query / (m.width() * m.height());
    List<Integer> keys = new ArrayList<>();
    for (int kt : NeighborhoodAttentionTest.axisNeighbours(m.frames(), m.kernelT(), m.dilationT(), t)) {
      for (int ky : NeighborhoodAttentionTest.axisNeighbours(m.height(), m.kernelH(), m.dilationH(), y)) {
        for (int kx : NeighborhoodAttentionTest.axisNeighbours(m.width(), m.kernelW(), m.dilationW(), x)) {
          keys.add((kt * m.height() + ky) * m.width() + kx);
        }
      }
    }
    keys.sort(null);
    return keys;
  }

  static double bruteDensity(AttentionMask m, int tokens) {
    long allowed = 0;
    for (int q = 0; q < tokens; q++) {
      for (int k = 0; k < tokens; k++) {
        if (m.allowed(q, k)) {
          allowed++;
        }
      }
    }
    return allowed / ((double) tokens * tokens);
  }
}
