package io.vicinity.kernels;

/**
 * Which (query, key) token pairs a self-attention call may use; the output is softmax attention over
 * exactly the allowed pairs. Tokens are numbered row-major over the attention's token grid (for video:
 * frame, then row, then column). {@link #allowed} is the reference statement of each rule: backends may
 * skip blocks that are entirely masked but must agree with it token by token.
 */
public sealed interface AttentionMask
    permits AttentionMask.Dense, AttentionMask.Radial, AttentionMask.Neighborhood3d {

  /** Whether query token {@code query} may attend key token {@code key}. */
  boolean allowed(int query, int key);

  /** The fraction of all (query, key) pairs that are allowed: 1 for dense, the work saved otherwise. */
  double density();

  /** Throws an IllegalArgumentException naming the mask when it does not describe {@code tokens} tokens. */
  void checkTokens(String op, int tokens);

  /** Every query attends every key (plain ViT / VideoMAE attention). */
  record Dense() implements AttentionMask {
    public static final Dense INSTANCE = new Dense();

    @Override
    public boolean allowed(int query, int key) {
      return true;
    }

    @Override
    public double density() {
      return 1.0;
    }

    @Override
    public void checkTokens(String op, int tokens) {
      // any length
    }
  }

  /**
   * Radial attention (docs/design/radial-attention.md): dense within a frame and between adjacent frames;
   * farther frames see a window around the same position that halves with each power-of-two band of
   * frame distance, and beyond the frame size only the same position on a sub-sampled set of frames.
   *
   * @param frames latent frames F
   * @param tokensPerFrame S, tokens per frame (row-major inside the frame)
   * @param delta decay factor of the window (1 by default); the window is {@code delta * S / 2^r} wide
   * @param sink whether every query also attends the whole first frame (an attention sink)
   */
  record Radial(int frames, int tokensPerFrame, double delta, boolean sink) implements AttentionMask {
    public Radial {
      if (frames < 1 || tokensPerFrame < 1 || !(delta > 0) || Double.isInfinite(delta)) {
        throw new IllegalArgumentException("radial attention mask: need frames >= 1, tokensPerFrame >= 1 and a"
            + " finite delta > 0; got frames=" + frames + " tokensPerFrame=" + tokensPerFrame + " delta=" + delta);
      }
    }

    public int tokens() {
      return frames * tokensPerFrame;
    }

    /** floor(log2(distance)) for distance >= 1: the band index r of the spec. */
    public static int band(int frameDistance) {
      return 31 - Integer.numberOfLeadingZeros(frameDistance);
    }

    /**
     * The largest |k - l| a pair of frames {@code frameDistance} apart allows, when that distance falls in a
     * windowed band (2^r <= S): from {@code |k - l| + 1 <= delta * S / 2^r}. Negative when no key is allowed.
     */
    public int maxOffset(int frameDistance) {
      double width = delta * tokensPerFrame / (double) (1 << band(frameDistance));
      return (int) Math.min(Math.floor(width) - 1, Integer.MAX_VALUE);
    }

    /** True when frames this far apart are in the sub-sampled far range (2^r > S). */
    public boolean isFar(int frameDistance) {
      return (1L << band(frameDistance)) > tokensPerFrame;
    }

    /** For a far distance: whether this distance is one of the sampled ones (then only k == l is allowed). */
    public boolean farFrameSampled(int frameDistance) {
      long step = ((1L << band(frameDistance)) + tokensPerFrame - 1) / tokensPerFrame; // ceil(2^r / S)
      return frameDistance % step == 0;
    }

    @Override
    public boolean allowed(int query, int key) {
      int i = query / tokensPerFrame;
      int k = query % tokensPerFrame;
      int j = key / tokensPerFrame;
      int l = key % tokensPerFrame;
      if (sink && j == 0) {
        return true;
      }
      int dist = Math.abs(i - j);
      if (dist <= 1) {
        return true;
      }
      if (!isFar(dist)) {
        return Math.abs(k - l) <= maxOffset(dist);
      }
      return farFrameSampled(dist) && k == l;
    }

    /** Counted per pair of frames (O(F^2)), not per pair of tokens. */
    @Override
    public double density() {
      long allowedPairs = 0;
      for (int i = 0; i < frames; i++) {
        for (int j = 0; j < frames; j++) {
          allowedPairs += allowedBetweenFrames(i, j);
        }
      }
      return allowedPairs / ((double) tokens() * tokens());
    }

    /** Allowed (k, l) pairs between query frame i and key frame j. */
    long allowedBetweenFrames(int i, int j) {
      long s = tokensPerFrame;
      int dist = Math.abs(i - j);
      if ((sink && j == 0) || dist <= 1) {
        return s * s;
      }
      if (isFar(dist)) {
        return farFrameSampled(dist) ? s : 0;
      }
      long w = Math.min(maxOffset(dist), s - 1);
      // pairs with |k - l| <= w on 0..s-1: s on the diagonal, 2 (s - d) for each offset d = 1..w
      return w < 0 ? 0 : s + w * (2 * s - w - 1);
    }

    @Override
    public void checkTokens(String op, int tokens) {
      Shapes.require(tokens == tokens(), op, "radial mask describes " + frames + " frames x " + tokensPerFrame
          + " tokens = " + tokens() + " tokens, but the sequence has " + tokens);
    }
  }

  /**
   * 3-D neighborhood attention (NATTEN's na3d, docs/design/neighborhood-attention.md): the per-axis window
   * rule applied to T, H and W independently, each with its own odd kernel and dilation. No positional bias.
   */
  record Neighborhood3d(int frames, int height, int width, int kernelT, int kernelH, int kernelW,
      int dilationT, int dilationH, int dilationW) implements AttentionMask {
    public Neighborhood3d {
      if (!NeighborhoodWindow.fits(frames, kernelT, dilationT) || !NeighborhoodWindow.fits(height, kernelH, dilationH)
          || !NeighborhoodWindow.fits(width, kernelW, dilationW)) {
        throw new IllegalArgumentException("3-D neighborhood attention: each axis needs an odd kernel, dilation >= 1"
            + " and kernel * dilation <= length; got (T, H, W) = (" + frames + ", " + height + ", " + width
            + "), kernel (" + kernelT + ", " + kernelH + ", " + kernelW + "), dilation (" + dilationT + ", "
            + dilationH + ", " + dilationW + ")");
      }
    }

    /** The same kernel and dilation on every axis. */
    public static Neighborhood3d cube(int frames, int height, int width, int kernel, int dilation) {
      return new Neighborhood3d(frames, height, width, kernel, kernel, kernel, dilation, dilation, dilation);
    }

    public int tokens() {
      return frames * height * width;
    }

    /** Keys per query: every query has exactly this many neighbours. */
    public int keysPerQuery() {
      return kernelT * kernelH * kernelW;
    }

    @Override
    public boolean allowed(int query, int key) {
      int qx = query % width;
      int qy = (query / width) % height;
      int qt = query / (width * height);
      int kx = key % width;
      int ky = (key / width) % height;
      int kt = key / (width * height);
      return inWindow(frames, kernelT, dilationT, qt, kt)
          && inWindow(height, kernelH, dilationH, qy, ky)
          && inWindow(width, kernelW, dilationW, qx, kx);
    }

    private static boolean inWindow(int length, int kernel, int dilation, int query, int key) {
      int start = NeighborhoodWindow.start(length, kernel, dilation, query);
      int offset = key - start;
      return offset >= 0 && offset % dilation == 0 && offset / dilation < kernel;
    }

    @Override
    public double density() {
      return keysPerQuery() / (double) tokens();
    }

    @Override
    public void checkTokens(String op, int tokens) {
      Shapes.require(tokens == tokens(), op, "3-D neighborhood mask describes (T, H, W) = (" + frames + ", "
          + height + ", " + width + ") = " + tokens() + " tokens, but the sequence has " + tokens);
    }
  }
}
