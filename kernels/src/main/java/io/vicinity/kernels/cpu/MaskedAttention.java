package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.Shapes.require;

import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.NeighborhoodWindow;

/**
 * Multi-head self-attention over packed qkv [B, N, 3C] in which each query visits only the keys its
 * {@link AttentionMask} allows: the keys are listed per query by {@link KeyLister} (for radial attention,
 * a few contiguous ranges per query, so the work is the mask's density times dense work), then scored,
 * soft-maxed in double and summed. Masked pairs are never computed. Parallel over (batch, query).
 */
final class MaskedAttention {
  static final String OP = "selfAttention";

  private MaskedAttention() {}

  /** Geometry of one call: qkv [batch, tokens (any number of axes), 3 * channels]. */
  record Shape(int[] qkvShape, int batch, int tokens, int channels, int heads) {
    static Shape of(int[] s, int heads, AttentionMask mask) {
      require(mask != null, OP, "mask is null for qkv", s);
      require(s.length >= 3 && s[s.length - 1] % 3 == 0, OP, "qkv must be [B, N, 3C] (or [B, T, H, W, 3C]), got", s);
      int channels = s[s.length - 1] / 3;
      require(heads >= 1 && channels % heads == 0, OP, "C=" + channels + " is not divisible by heads=" + heads
          + "; qkv", s);
      long tokens = 1;
      for (int i = 1; i < s.length - 1; i++) {
        tokens *= s[i];
      }
      require(tokens >= 1 && tokens <= Integer.MAX_VALUE, OP, "bad token count " + tokens + " for qkv", s);
      mask.checkTokens(OP, (int) tokens);
      return new Shape(s.clone(), s[0], (int) tokens, channels, heads);
    }

    int headDim() {
      return channels / heads;
    }

    int[] outputShape() {
      int[] out = qkvShape.clone();
      out[out.length - 1] = channels;
      return out;
    }
  }

  static void run(Parallel parallel, float[] qkv, Shape s, AttentionMask mask, float[] out) {
    KeyLister keys = KeyLister.of(mask, s.tokens());
    int queries = s.batch() * s.tokens();
    double workPerQuery = Math.max(1, keys.maxKeys() * (double) s.channels());
    int grain = (int) Math.max(1, Math.min(queries, (1 << 16) / workPerQuery));
    parallel.forRange(
        queries,
        grain,
        (from, to) -> {
          Scratch scratch = new Scratch(s, keys.maxKeys());
          for (int row = from; row < to; row++) {
            int b = row / s.tokens();
            int query = row % s.tokens();
            int count = keys.list(query, scratch.keys);
            for (int head = 0; head < s.heads(); head++) {
              attendOne(qkv, s, b, query, head, scratch, count, out);
            }
          }
        });
  }

  /** Per-task buffers, reused for every query. */
  private static final class Scratch {
    final int[] keys;
    final double[] scores;
    final double[] accumulator;

    Scratch(Shape s, int maxKeys) {
      keys = new int[maxKeys];
      scores = new double[maxKeys];
      accumulator = new double[s.headDim()];
    }
  }

  private static void attendOne(float[] qkv, Shape s, int b, int query, int head, Scratch scratch, int count,
      float[] out) {
    int c = s.channels();
    int hd = s.headDim();
    int stride = 3 * c;
    int headOff = head * hd;
    double scale = 1.0 / Math.sqrt(hd);
    int base = b * s.tokens();
    int qOff = (base + query) * stride + headOff;

    int[] keys = scratch.keys;
    double[] scores = scratch.scores;
    double max = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < count; t++) {
      double score = dot(qkv, qOff, qkv, (base + keys[t]) * stride + c + headOff, hd) * scale;
      scores[t] = score;
      max = Math.max(max, score);
    }
    double total = 0;
    for (int t = 0; t < count; t++) {
      scores[t] = Math.exp(scores[t] - max);
      total += scores[t];
    }
    double[] acc = scratch.accumulator;
    java.util.Arrays.fill(acc, 0);
    for (int t = 0; t < count; t++) {
      double p = scores[t] / total;
      int vOff = (base + keys[t]) * stride + 2 * c + headOff;
      for (int i = 0; i < hd; i++) {
        acc[i] += p * qkv[vOff + i];
      }
    }
    int oOff = (base + query) * c + headOff;
    for (int i = 0; i < hd; i++) {
      out[oOff + i] = (float) acc[i];
    }
  }

  /** a[aOff..+n) . b[bOff..+n) in double with four independent sums (breaks the add latency chain). */
  private static double dot(float[] a, int aOff, float[] b, int bOff, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += (double) a[aOff + i] * b[bOff + i];
      s1 += (double) a[aOff + i + 1] * b[bOff + i + 1];
      s2 += (double) a[aOff + i + 2] * b[bOff + i + 2];
      s3 += (double) a[aOff + i + 3] * b[bOff + i + 3];
    }
    for (; i < n; i++) {
      s0 += (double) a[aOff + i] * b[bOff + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Lists, for one query, the keys its mask allows (ascending). Stateless and thread-safe. */
  abstract static class KeyLister {
    /** The most keys any query can have: the size of the caller's buffer. */
    abstract int maxKeys();

    /** Writes the allowed keys of {@code query} into {@code out}; returns how many. */
    abstract int list(int query, int[] out);

    static KeyLister of(AttentionMask mask, int tokens) {
      if (mask instanceof AttentionMask.Radial radial) {
        return new RadialKeys(radial);
      }
      if (mask instanceof AttentionMask.Neighborhood3d na) {
        return new Neighborhood3dKeys(na);
      }
      return new DenseKeys(tokens);
    }
  }

  private static final class DenseKeys extends KeyLister {
    private final int tokens;

    DenseKeys(int tokens) {
      this.tokens = tokens;
    }

    @Override
    int maxKeys() {
      return tokens;
    }

    @Override
    int list(int query, int[] out) {
      for (int key = 0; key < tokens; key++) {
        out[key] = key;
      }
      return tokens;
    }
  }

  /**
   * Radial attention: for each key frame, the allowed positions are one contiguous range (all of the frame,
   * a window around the query's position, the same position alone, or nothing), decided once per frame
   * distance.
   */
  private static final class RadialKeys extends KeyLister {
    private static final int ALL = Integer.MAX_VALUE;
    private static final int SAME_POSITION = 0;
    private static final int NONE = -1;

    private final int frames;
    private final int tokensPerFrame;
    private final boolean sink;
    /** Per frame distance: the largest allowed |k - l| (ALL, a window, SAME_POSITION or NONE). */
    private final int[] maxOffsetByDistance;
    private final int maxKeys;

    RadialKeys(AttentionMask.Radial mask) {
      frames = mask.frames();
      tokensPerFrame = mask.tokensPerFrame();
      sink = mask.sink();
      maxOffsetByDistance = new int[frames];
      for (int dist = 0; dist < frames; dist++) {
        if (dist <= 1) {
          maxOffsetByDistance[dist] = ALL;
        } else if (mask.isFar(dist)) {
          maxOffsetByDistance[dist] = mask.farFrameSampled(dist) ? SAME_POSITION : NONE;
        } else {
          maxOffsetByDistance[dist] = Math.max(NONE, mask.maxOffset(dist));
        }
      }
      // Bound per query: every frame's range is at most a whole frame.
      maxKeys = frames * tokensPerFrame;
    }

    @Override
    int maxKeys() {
      return maxKeys;
    }

    @Override
    int list(int query, int[] out) {
      int s = tokensPerFrame;
      int i = query / s;
      int k = query % s;
      int n = 0;
      for (int j = 0; j < frames; j++) {
        int w = (sink && j == 0) ? ALL : maxOffsetByDistance[Math.abs(i - j)];
        if (w == NONE) {
          continue;
        }
        int lo = w == ALL ? 0 : Math.max(0, k - w);
        int hi = w == ALL ? s - 1 : Math.min(s - 1, k + w);
        for (int l = lo, key = j * s + lo; l <= hi; l++, key++) {
          out[n++] = key;
        }
      }
      return n;
    }
  }

  /** 3-D neighborhood attention: the product of the three per-axis windows of NeighborhoodWindow. */
  private static final class Neighborhood3dKeys extends KeyLister {
    private final AttentionMask.Neighborhood3d m;
    private final int[] startT;
    private final int[] startH;
    private final int[] startW;

    Neighborhood3dKeys(AttentionMask.Neighborhood3d mask) {
      m = mask;
      startT = starts(mask.frames(), mask.kernelT(), mask.dilationT());
      startH = starts(mask.height(), mask.kernelH(), mask.dilationH());
      startW = starts(mask.width(), mask.kernelW(), mask.dilationW());
    }

    private static int[] starts(int length, int kernel, int dilation) {
      int[] out = new int[length];
      for (int i = 0; i < length; i++) {
        out[i] = NeighborhoodWindow.start(length, kernel, dilation, i);
      }
      return out;
    }

    @Override
    int maxKeys() {
      return m.keysPerQuery();
    }

    @Override
    int list(int query, int[] out) {
      int x = query % m.width();
      int y = (query / m.width()) % m.height();
      int t = query / (m.width() * m.height());
      int n = 0;
      for (int a = 0; a < m.kernelT(); a++) {
        int kt = startT[t] + a * m.dilationT();
        for (int b = 0; b < m.kernelH(); b++) {
          int row = (kt * m.height() + startH[y] + b * m.dilationH()) * m.width();
          for (int c = 0; c < m.kernelW(); c++) {
            out[n++] = row + startW[x] + c * m.dilationW();
          }
        }
      }
      return n;
    }
  }
}
