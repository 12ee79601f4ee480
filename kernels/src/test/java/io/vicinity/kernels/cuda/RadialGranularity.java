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
  /** {a, b, c, d}: query frames, query positions, key frames, key positions. */
  static final int[][] TILES = {
    {1, 16, 1, 16}, {1, 16, 1, 8}, {2, 8, 1, 8}, {4, 4, 1, 8}, {4, 4, 2, 4}, {1, 64, 1, 8}, {1, 64, 1, 64},
    {4, 16, 4, 16}, {4, 16, 1, 16} // the kernel's CTA tile and warp chunk (attention.cu Tiles<RADIAL>)
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
    }
  }

  /** Fraction of all pairs inside (a x b query, c x d key) tiles that hold at least one allowed pair. */
  static double fraction(AttentionMask.Radial m, int a, int b, int c, int d) {
    int frames = m.frames(), s = m.tokensPerFrame();
    long multiplied = 0;
    for (int i0 = 0; i0 < frames; i0 += a) {
      for (int p0 = 0; p0 < s; p0 += b) {
        int qi1 = Math.min(frames, i0 + a), qp1 = Math.min(s, p0 + b);
        for (int j0 = 0; j0 < frames; j0 += c) {
          for (int l0 = 0; l0 < s; l0 += d) {
            int kj1 = Math.min(frames, j0 + c), kl1 = Math.min(s, l0 + d);
            if (anyAllowed(m, i0, qi1, p0, qp1, j0, kj1, l0, kl1)) {
              multiplied += (long) (qi1 - i0) * (qp1 - p0) * (kj1 - j0) * (kl1 - l0);
            }
          }
        }
      }
    }
    double n = (double) frames * s;
    return multiplied / (n * n);
  }

  private static boolean anyAllowed(AttentionMask m, int i0, int i1, int p0, int p1, int j0, int j1, int l0, int l1) {
    int s = ((AttentionMask.Radial) m).tokensPerFrame(); // token index = frame * S + position
    for (int i = i0; i < i1; i++) {
      for (int p = p0; p < p1; p++) {
        for (int j = j0; j < j1; j++) {
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
