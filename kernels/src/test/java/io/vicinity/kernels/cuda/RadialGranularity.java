package io.vicinity.kernels.cuda;

import io.vicinity.kernels.AttentionMask;
import java.util.Arrays;

/**
 * The floor that tensor-core tiles put under radial attention's work (CPU only, no GPU needed). A kernel that
 * applies the token rule exactly still multiplies whole tiles: it may skip a tile with no allowed pair, not the
 * masked pairs inside one. Tiles here are a x b queries (frames x positions in a frame) by c x d keys, gathered
 * freely, which covers every tile shape a kernel can form (mma.sync: 16 queries x 8 keys; wgmma: 64 x 8).
 * Only real tokens are counted (no padding), so the fraction is a lower bound on the pairs any such kernel
 * multiplies, and 1 / fraction bounds its speed-up over dense attention at equal speed per pair.
 * Usage: RadialGranularity [tokensPerFrame] [frames...] (defaults 196 and 16 32 64, the benchmark's shapes).
 */
public final class RadialGranularity {
  /**
   * {a, b, c, d}: query frames, query positions, key frames, key positions. Our mma.sync radial kernel's warps
   * multiply 1x16 by 1x16 chunks; its CTAs load 4x16 by 4x16 tiles (attention.cu Tiles&lt;RADIAL&gt;), which the
   * wgmma kernel multiplies whole.
   */
  static final int[][] TILES = {
    {1, 16, 1, 16}, {1, 16, 1, 8}, {2, 8, 1, 8}, {4, 4, 1, 8}, {4, 4, 2, 4}, {1, 64, 1, 8}, {1, 64, 1, 64},
    {4, 16, 4, 16}
  };

  private RadialGranularity() {}

  public static void main(String[] args) {
    int perFrame = args.length > 0 ? Integer.parseInt(args[0]) : RadialBenchmark.PER_FRAME;
    int[] frames = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
        : new int[] {16, 32, 64};
    System.out.println("[radial-tiles] frames | tokens/frame | density | query tile (frames x positions) | key tile"
        + " | fraction multiplied | max speed-up at equal per-pair speed | per-pair speed needed for 0.8/density");
    for (int f : frames) {
      AttentionMask.Radial mask = new AttentionMask.Radial(f, perFrame, 1.0, false);
      double density = mask.density();
      for (int[] t : TILES) {
        double frac = fraction(mask, t[0], t[1], t[2], t[3]);
        System.out.printf("[radial-tiles] %d | %d | %.4f | %dx%d | %dx%d | %.4f | %.2fx | %.2fx%n", f, perFrame,
            density, t[0], t[1], t[2], t[3], frac, 1 / frac, 0.8 * frac / density);
      }
      double banded = bestPerBand(mask, SMALL_TILES);
      System.out.printf("[radial-tiles] %d | %d | %.4f | best 16-row tile per distance band | - | %.4f | %.2fx | %.2fx%n",
          f, perFrame, density, banded, 1 / banded, 0.8 * banded / density);
      double wgBanded = bestPerBand(mask, WGMMA_TILES);
      System.out.printf("[radial-tiles] %d | %d | %.4f | best 64-row tile per distance band, 16-key chunks | - | %.4f"
          + " | %.2fx | %.2fx%n", f, perFrame, density, wgBanded, 1 / wgBanded, 0.8 * wgBanded / density);
    }
  }

  /** mma.sync-sized tiles (16 queries by 8 keys) for the per-band bound. */
  static final int[][] SMALL_TILES = {
    {1, 16, 1, 8}, {2, 8, 1, 8}, {4, 4, 1, 8}, {2, 8, 2, 4}, {4, 4, 2, 4}, {4, 4, 4, 2}, {8, 2, 8, 1}, {16, 1, 8, 1}
  };

  /**
   * wgmma-sized tiles (64 queries by the 16 keys of one P V k-step) for the per-band bound, from one frame x 64
   * positions to 64 frames x one position.
   */
  static final int[][] WGMMA_TILES = {
    {1, 64, 1, 16}, {2, 32, 1, 16}, {4, 16, 1, 16}, {8, 8, 1, 16}, {16, 4, 1, 16}, {4, 16, 2, 8}, {8, 8, 2, 8},
    {8, 8, 4, 4}, {16, 4, 4, 4}, {16, 4, 8, 2}, {16, 4, 16, 1}, {32, 2, 8, 2}, {32, 2, 16, 1}, {64, 1, 16, 1}
  };

  /**
   * The fraction multiplied when each band of frame distances (0-1, then the mask's power-of-two bands) is a
   * separate pass with the best of {@code tiles} for it: a lower bound for kernels that pick their tile per band.
   */
  static double bestPerBand(AttentionMask.Radial m, int[][] tiles) {
    double sum = 0;
    for (int lo = 0, hi = 1; lo < m.frames(); lo = hi + 1, hi = 2 * lo - 1) {
      double best = Double.MAX_VALUE;
      for (int[] t : tiles) {
        best = Math.min(best, fraction(m, t[0], t[1], t[2], t[3], lo, hi));
      }
      sum += best;
    }
    return sum;
  }

  /** Fraction of all pairs inside (a x b query, c x d key) tiles that hold at least one allowed pair. */
  static double fraction(AttentionMask.Radial m, int a, int b, int c, int d) {
    return fraction(m, a, b, c, d, 0, Integer.MAX_VALUE);
  }

  /**
   * {@link #fraction} for the allowed pairs whose frame distance lies in [minDist, maxDist] only: what one pass
   * of a kernel that handles those frame pairs multiplies. Passes over disjoint distance bands can each use
   * their own tile shape and be merged like split-key attention (partial outputs with their log-sum-exp).
   */
  static double fraction(AttentionMask.Radial m, int a, int b, int c, int d, int minDist, int maxDist) {
    int frames = m.frames(), s = m.tokensPerFrame();
    long multiplied = 0;
    for (int i0 = 0; i0 < frames; i0 += a) {
      for (int p0 = 0; p0 < s; p0 += b) {
        int qi1 = Math.min(frames, i0 + a), qp1 = Math.min(s, p0 + b);
        for (int j0 = 0; j0 < frames; j0 += c) {
          for (int l0 = 0; l0 < s; l0 += d) {
            int kj1 = Math.min(frames, j0 + c), kl1 = Math.min(s, l0 + d);
            int nearest = Math.max(0, Math.max(j0 - (qi1 - 1), i0 - (kj1 - 1)));
            int farthest = Math.max(kj1 - 1 - i0, qi1 - 1 - j0);
            if (farthest < minDist || nearest > maxDist) {
              continue;
            }
            if (anyAllowed(m, i0, qi1, p0, qp1, j0, kj1, l0, kl1, minDist, maxDist)) {
              multiplied += (long) (qi1 - i0) * (qp1 - p0) * (kj1 - j0) * (kl1 - l0);
            }
          }
        }
      }
    }
    double n = (double) frames * s;
    return multiplied / (n * n);
  }

  private static boolean anyAllowed(AttentionMask.Radial m, int i0, int i1, int p0, int p1, int j0, int j1, int l0,
      int l1, int minDist, int maxDist) {
    int s = m.tokensPerFrame(); // token index = frame * S + position
    for (int i = i0; i < i1; i++) {
      for (int p = p0; p < p1; p++) {
        for (int j = j0; j < j1; j++) {
          if (Math.abs(i - j) < minDist || Math.abs(i - j) > maxDist) {
            continue;
          }
          for (int l = l0; l < l1; l++) {
            if (m.allowed(i * s + p, j * s + l)) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }
}
