package io.vicinity.kernels;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A separable resample of 8-bit RGB images with fixed-point weights, restricted to a region of its output: the
 * form Pillow's resize takes (libImaging/Resample.c), described as data so that a backend can run it where the
 * pixels are ({@link Backend#fromHostBytes(java.util.List, java.util.List, float[], int...)}). The horizontal
 * pass runs first and its result is clipped to 0..255, then the vertical pass; each sum starts at one half and
 * is shifted down by {@link #PRECISION_BITS}. The resized image is {@code vertical.size()} x
 * {@code horizontal.size()}; the output is its {@code height} x {@code width} pixels from ({@code left},
 * {@code top}), 0 where that region lies outside it (as a center crop larger than the image pads).
 */
public record ByteResample(int sourceHeight, int sourceWidth, Pass vertical, Pass horizontal, int top, int left,
    int height, int width) {

  /** 8 bits for the result and 2 for overshoot of negative-lobe kernels, in a 32-bit int. */
  public static final int PRECISION_BITS = 32 - 8 - 2;

  /** Pixel bytes: R, G, B. */
  public static final int CHANNELS = 3;

  /**
   * One pass: output {@code i} reads {@code count[i]} inputs from {@code first[i]}, weighted by
   * {@code weights[i * kernelSize + j]}.
   */
  public record Pass(int kernelSize, int[] first, int[] count, int[] weights) {
    public Pass {
      if (kernelSize < 1 || first.length != count.length || weights.length != first.length * kernelSize) {
        throw new IllegalArgumentException("resample pass: " + first.length + " outputs, " + count.length
            + " counts, " + weights.length + " weights for kernel size " + kernelSize);
      }
    }

    /** Output i is input i (weight 1.0, which the rounding gives back exactly). */
    public static Pass identity(int size) {
      int[] first = new int[size];
      for (int i = 0; i < size; i++) {
        first[i] = i;
      }
      int[] count = new int[size];
      Arrays.fill(count, 1);
      int[] weights = new int[size];
      Arrays.fill(weights, 1 << PRECISION_BITS);
      return new Pass(1, first, count, weights);
    }

    /** The number of outputs. */
    public int size() {
      return first.length;
    }

    boolean isIdentity(int inputs) {
      if (size() != inputs || kernelSize != 1) {
        return false;
      }
      for (int i = 0; i < size(); i++) {
        if (first[i] != i || count[i] != 1 || weights[i] != 1 << PRECISION_BITS) {
          return false;
        }
      }
      return true;
    }

    /** The inputs [first, end) that outputs [from, to) read: {@code {first, end}}, empty when none reads. */
    int[] reads(int from, int to) {
      int lo = Integer.MAX_VALUE;
      int hi = 0;
      for (int i = from; i < to; i++) {
        if (count[i] > 0) {
          lo = Math.min(lo, first[i]);
          hi = Math.max(hi, first[i] + count[i]);
        }
      }
      return lo == Integer.MAX_VALUE ? new int[] {0, 0} : new int[] {lo, hi};
    }

    /** Outputs [from, to) of this pass, reading inputs from {@code inputOffset} on. */
    Pass slice(int from, int to, int inputOffset) {
      int[] shifted = new int[to - from];
      for (int i = from; i < to; i++) {
        shifted[i - from] = count[i] == 0 ? 0 : first[i] - inputOffset;
      }
      return new Pass(kernelSize, shifted, Arrays.copyOfRange(count, from, to),
          Arrays.copyOfRange(weights, from * kernelSize, to * kernelSize));
    }

    void checkReads(int inputs, String what) {
      for (int i = 0; i < size(); i++) {
        if (count[i] < 0 || count[i] > kernelSize || first[i] < 0 || first[i] + count[i] > inputs) {
          throw new IllegalArgumentException("resample " + what + " pass: output " + i + " reads " + count[i]
              + " from " + first[i] + ", outside 0.." + inputs + " or past kernel size " + kernelSize);
        }
      }
    }
  }

  public ByteResample {
    if (sourceHeight < 1 || sourceWidth < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException("resample of " + sourceWidth + "x" + sourceHeight + " to a region of "
          + width + "x" + height + ": sizes must be positive");
    }
    vertical.checkReads(sourceHeight, "vertical");
    horizontal.checkReads(sourceWidth, "horizontal");
  }

  /** The region ({@code top}, {@code left}, {@code height} x {@code width}) of an image as it is. */
  public static ByteResample crop(int sourceHeight, int sourceWidth, int top, int left, int height, int width) {
    return new ByteResample(sourceHeight, sourceWidth, Pass.identity(sourceHeight), Pass.identity(sourceWidth), top,
        left, height, width);
  }

  /** Rows [{@code top}, {@code top + height}) and columns [{@code left}, {@code left + width}) of a source image. */
  public record Window(int top, int left, int height, int width) {
    /** Bytes of the window's pixels. */
    public int bytes() {
      return height * width * CHANNELS;
    }

    /** True when this non-empty window lies inside an image of {@code imageHeight} x {@code imageWidth}. */
    public boolean isInside(int imageHeight, int imageWidth) {
      return top >= 0 && left >= 0 && height > 0 && width > 0 && top + height <= imageHeight
          && left + width <= imageWidth;
    }

    /**
     * Writes this window of the RGB image at {@code offset} of {@code src} ({@code sourceWidth} pixels a row) to
     * {@code to}, row after row.
     */
    public void copy(byte[] src, int offset, int sourceWidth, ByteBuffer to) {
      int stride = width * CHANNELS;
      for (int y = top; y < top + height; y++) {
        to.put(src, offset + (y * sourceWidth + left) * CHANNELS, stride);
      }
    }

    /** This window of the RGB image at {@code offset} of {@code src} ({@code sourceWidth} pixels a row), as bytes. */
    public byte[] cut(byte[] src, int offset, int sourceWidth) {
      ByteBuffer out = ByteBuffer.allocate(bytes());
      copy(src, offset, sourceWidth, out);
      return out.array();
    }
  }

  /** A resample over a window of a larger source: the window's bytes and this resample give the same output. */
  public record Windowed(Window window, ByteResample resample) {}

  /**
   * The smallest window of the source this resample reads, and the same resample over that window alone: only
   * the window needs holding and copying up (a center crop of a 16:9 frame reads ~60% of it).
   */
  public Windowed windowed() {
    Window whole = new Window(0, 0, sourceHeight, sourceWidth);
    int[] inside = inside();
    if (inside == null) {
      return new Windowed(whole, this); // the output is all padding
    }
    int x0 = inside[0], x1 = inside[1], y0 = inside[2], y1 = inside[3];
    int[] columns = horizontal.reads(x0, x1);
    int[] rows = vertical.reads(y0, y1);
    if (columns[0] >= columns[1] || rows[0] >= rows[1]) {
      return new Windowed(whole, this); // no tap reads anything: keep it as it is
    }
    Window window = new Window(rows[0], columns[0], rows[1] - rows[0], columns[1] - columns[0]);
    return new Windowed(window, new ByteResample(window.height(), window.width(), vertical.slice(y0, y1, rows[0]),
        horizontal.slice(x0, x1, columns[0]), top - y0, left - x0, height, width));
  }

  /** True when the output is the source as it is (an image resized beforehand): the resample is a copy. */
  public boolean isCopy() {
    return top == 0 && left == 0 && height == sourceHeight && width == sourceWidth
        && vertical.isIdentity(sourceHeight) && horizontal.isIdentity(sourceWidth);
  }

  /** Bytes of one source image. */
  public int sourceBytes() {
    return sourceHeight * sourceWidth * CHANNELS;
  }

  /** Bytes of one output region. */
  public int outputBytes() {
    return height * width * CHANNELS;
  }

  /** The output region's RGB bytes [height, width, 3] for the source image at {@code offset} of {@code src}. */
  public byte[] apply(byte[] src, int offset) {
    if (offset < 0 || src.length - offset < sourceBytes()) {
      throw new IllegalArgumentException("resample: " + (src.length - offset) + " bytes from " + offset
          + " for a " + sourceWidth + "x" + sourceHeight + " RGB image");
    }
    byte[] out = new byte[outputBytes()];
    int[] inside = inside();
    if (inside == null) {
      return out;
    }
    int x0 = inside[0], x1 = inside[1], y0 = inside[2], y1 = inside[3];
    int columns = x1 - x0;
    // Rows of the horizontally resampled image the vertical pass reads (y0..y1 when it is an identity).
    int[] read = vertical.reads(y0, y1);
    int firstRow = read[0];
    int lastRow = read[1];
    byte[] rows = horizontal.isIdentity(sourceWidth)
        ? columns(src, offset, firstRow, lastRow, x0, x1)
        : horizontal(src, offset, firstRow, lastRow, x0, x1);
    byte[] pixels = vertical.isIdentity(sourceHeight) ? rows : vertical(rows, columns, firstRow, y0, y1);
    int stride = columns * CHANNELS;
    for (int y = y0; y < y1; y++) {
      System.arraycopy(pixels, (y - y0) * stride, out, ((y - top) * width + (x0 - left)) * CHANNELS, stride);
    }
    return out;
  }

  /**
   * The output region's bytes for the source image in {@code source}'s remaining bytes: {@code source} itself
   * when the resample is a copy.
   */
  public ByteBuffer output(ByteBuffer source) {
    if (isCopy()) {
      return source;
    }
    if (source.hasArray()) {
      return ByteBuffer.wrap(apply(source.array(), source.arrayOffset() + source.position()));
    }
    byte[] bytes = new byte[source.remaining()];
    source.duplicate().get(bytes);
    return ByteBuffer.wrap(apply(bytes, 0));
  }

  /** The part of the output region inside the resized image: {x0, x1, y0, y1} (columns, rows); null when none. */
  private int[] inside() {
    int x0 = Math.max(left, 0);
    int x1 = Math.min(left + width, horizontal.size());
    int y0 = Math.max(top, 0);
    int y1 = Math.min(top + height, vertical.size());
    return x0 < x1 && y0 < y1 ? new int[] {x0, x1, y0, y1} : null;
  }

  /** Source rows [firstRow, lastRow), columns [x0, x1) of each, horizontally resampled. */
  private byte[] horizontal(byte[] in, int offset, int firstRow, int lastRow, int x0, int x1) {
    int inStride = sourceWidth * CHANNELS;
    int kernelSize = horizontal.kernelSize();
    int[] first = horizontal.first();
    int[] count = horizontal.count();
    int[] weights = horizontal.weights();
    byte[] out = new byte[(lastRow - firstRow) * (x1 - x0) * CHANNELS];
    int o = 0;
    for (int y = firstRow; y < lastRow; y++) {
      int rowStart = offset + y * inStride;
      for (int x = x0; x < x1; x++) {
        int k = x * kernelSize;
        int end = k + count[x];
        int p = rowStart + first[x] * CHANNELS;
        int r = 1 << (PRECISION_BITS - 1);
        int g = r;
        int b = r;
        for (; k < end; k++, p += CHANNELS) {
          int weight = weights[k];
          r += (in[p] & 0xFF) * weight;
          g += (in[p + 1] & 0xFF) * weight;
          b += (in[p + 2] & 0xFF) * weight;
        }
        out[o++] = clip8(r);
        out[o++] = clip8(g);
        out[o++] = clip8(b);
      }
    }
    return out;
  }

  /** Source rows [firstRow, lastRow), columns [x0, x1) of each, as they are. */
  private byte[] columns(byte[] in, int offset, int firstRow, int lastRow, int x0, int x1) {
    int stride = (x1 - x0) * CHANNELS;
    byte[] out = new byte[(lastRow - firstRow) * stride];
    for (int y = firstRow; y < lastRow; y++) {
      System.arraycopy(in, offset + (y * sourceWidth + x0) * CHANNELS, out, (y - firstRow) * stride, stride);
    }
    return out;
  }

  /**
   * Output rows [y0, y1) from {@code in}, which holds rows from {@code rowOffset} on, {@code columns} pixels each;
   * tap by tap over a whole row, so the inner loop runs over contiguous bytes.
   */
  private byte[] vertical(byte[] in, int columns, int rowOffset, int y0, int y1) {
    int stride = columns * CHANNELS;
    int kernelSize = vertical.kernelSize();
    byte[] out = new byte[(y1 - y0) * stride];
    int[] sum = new int[stride];
    for (int y = y0; y < y1; y++) {
      Arrays.fill(sum, 1 << (PRECISION_BITS - 1));
      int k = y * kernelSize;
      int start = (vertical.first()[y] - rowOffset) * stride;
      for (int i = 0; i < vertical.count()[y]; i++) {
        int weight = vertical.weights()[k + i];
        int p = start + i * stride;
        for (int c = 0; c < stride; c++) {
          sum[c] += (in[p + c] & 0xFF) * weight;
        }
      }
      int o = (y - y0) * stride;
      for (int c = 0; c < stride; c++) {
        out[o + c] = clip8(sum[c]);
      }
    }
    return out;
  }

  private static byte clip8(int fixedPoint) {
    int v = fixedPoint >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }
}
