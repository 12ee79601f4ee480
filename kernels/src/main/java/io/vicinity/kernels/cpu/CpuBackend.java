package io.vicinity.kernels.cpu;

import static io.vicinity.kernels.Shapes.require;

import io.vicinity.kernels.Activation;
import io.vicinity.kernels.Arena;
import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.ArenaStack;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.BackendKind;
import io.vicinity.kernels.ClassMaps;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.NaParams;
import io.vicinity.kernels.NeighborhoodWindow;
import io.vicinity.kernels.Shapes;
import io.vicinity.kernels.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The pure-Java backend: float32 tensors in heap arrays, operators spread over one fork-join pool. This
 * class checks arguments and allocates outputs; the arithmetic lives in {@link Gemm}, {@link MatrixOps},
 * {@link NeighborhoodAttention2d}, {@link RowOps} and {@link MapOps}. Thread-safe: Spark task threads may
 * share one instance.
 */
public final class CpuBackend implements Backend {
  /** Java arrays are int-indexed; a tensor larger than this cannot be stored. */
  static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
  private static final String LINEAR_LAYOUT = "linear";
  private static final String CONV_LAYOUT = "conv2d";

  private final Parallel parallel;
  private final boolean poisonOutputs;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** One worker per available processor. */
  public CpuBackend() {
    this(Runtime.getRuntime().availableProcessors());
  }

  public CpuBackend(int parallelism) {
    this(parallelism, false);
  }

  /**
   * @param poisonOutputs fill every new output with NaN before the operator writes it, so tests catch an
   *     element an operator forgot to write (Java arrays would otherwise start at a plausible 0)
   */
  CpuBackend(int parallelism, boolean poisonOutputs) {
    this.parallel = new Parallel(parallelism);
    this.poisonOutputs = poisonOutputs;
  }

  @Override
  public BackendKind kind() {
    return BackendKind.CPU;
  }

  @Override
  public boolean isHost() {
    return true;
  }

  @Override
  public String describe() {
    return "CPU (pure Java, " + parallel.parallelism() + " threads), float32";
  }

  @Override
  public DType computeType() {
    return DType.F32;
  }

  @Override
  public Arena openArena(String name) {
    return ArenaStack.open(name);
  }

  @Override
  public Tensor fromHost(float[] data, int... shape) {
    checkNotClosed("fromHost");
    require(data != null, "fromHost", "data is null for shape", shape);
    checkShape("fromHost", shape);
    require(data.length == Shapes.numel(shape), "fromHost", "data length " + data.length + " does not match shape", shape);
    return new CpuTensor(this, shape, data.clone());
  }

  /** Off-heap pixels land in the tensor's own float[] (the CPU computes on the heap): one copy. */
  @Override
  public Tensor fromHost(List<ByteBuffer> direct, int... shape) {
    checkNotClosed("fromHost");
    require(direct != null, "fromHost", "buffer list is null for shape", shape);
    checkShape("fromHost", shape);
    long bytes = 0;
    for (ByteBuffer b : direct) {
      require(b.isDirect() && b.remaining() % 4 == 0, "fromHost",
          "needs direct buffers of whole float32 values, got " + b + " for shape", shape);
      bytes += b.remaining();
    }
    require(bytes == 4 * Shapes.numel(shape), "fromHost", bytes + " bytes in " + direct.size()
        + " buffers do not hold float32 values of shape", shape);
    float[] data = new float[(int) Shapes.numel(shape)];
    int at = 0;
    for (ByteBuffer b : direct) {
      FloatBuffer floats = b.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      int n = floats.remaining();
      floats.get(data, at, n);
      at += n;
    }
    return new CpuTensor(this, shape, data);
  }

  @Override
  public Tensor fromHostBytes(List<ByteBuffer> direct, float[] values, int... shape) {
    checkNotClosed("fromHostBytes");
    checkShape("fromHostBytes", shape);
    Backend.checkFromHostBytes(direct, values, shape);
    int channels = shape[shape.length - 1];
    float[] data = new float[(int) Shapes.numel(shape)];
    int at = 0;
    for (ByteBuffer b : direct) {
      at = Backend.mapBytes(b, values, channels, data, at);
    }
    return new CpuTensor(this, shape, data);
  }

  @Override
  public Tensor fromHostBytes(List<ByteBuffer> direct, List<ByteResample> resamples, float[] values, int... shape) {
    checkNotClosed("fromHostBytes");
    checkShape("fromHostBytes", shape);
    byte[] sources = new byte[(int) Backend.checkFromHostBytes(direct, resamples, values, shape)];
    int at = 0;
    for (ByteBuffer b : direct) {
      b.duplicate().get(sources, at, b.remaining());
      at += b.remaining();
    }
    float[] data = new float[(int) Shapes.numel(shape)];
    int from = 0;
    int to = 0;
    for (ByteResample r : resamples) {
      ByteBuffer region = r.output(ByteBuffer.wrap(sources, from, r.sourceBytes()));
      to = Backend.mapBytes(region, values, ByteResample.CHANNELS, data, to);
      from += r.sourceBytes();
    }
    return new CpuTensor(this, shape, data);
  }

  @Override
  public float[] toHost(Tensor t) {
    return input("toHost", "tensor", t).data().clone();
  }

  // ---- matrix products ----------------------------------------------------------------------------

  @Override
  public Tensor linear(Tensor x, Tensor weight, Tensor bias, Epilogue epilogue) {
    String op = "linear";
    CpuTensor in = input(op, "x", x);
    CpuTensor w = input(op, "weight", weight);
    int[] xs = in.shape();
    int[] ws = w.shape();
    require(xs.length >= 1 && ws.length == 2 && ws[1] == xs[xs.length - 1], op,
        "x [..., in] does not match weight [out, in]: x", xs, "weight", ws);
    int outFeatures = ws[0];
    int inFeatures = ws[1];
    int[] outShape = xs.clone();
    outShape[outShape.length - 1] = outFeatures;
    checkShape(op, outShape);
    Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
    Gemm.Epilogue resolved =
        new Gemm.Epilogue(
            vector(op, "bias", bias, outFeatures),
            e.activation(),
            vector(op, "epilogue scale", e.scale(), outFeatures),
            e.residual() == null ? null : sameShape(op, "epilogue residual", e.residual(), outShape));
    PackedMatrix packed = w.packed(LINEAR_LAYOUT, () -> PackedMatrix.ofRows(w.data(), outFeatures, inFeatures));
    int rows = (int) (in.numel() / Math.max(1, inFeatures));
    require(inFeatures >= 1, op, "zero input features: x", xs);
    CpuTensor out = output(outShape);
    MatrixOps.linear(parallel, in.data(), rows, packed, resolved, out.data());
    return out;
  }

  @Override
  public Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
    String op = "conv2d";
    CpuTensor in = input(op, "x", x);
    CpuTensor w = input(op, "weight", weight);
    int[] xs = in.shape();
    int[] ws = w.shape();
    require(xs.length == 4 && ws.length == 4 && ws[1] == xs[3], op,
        "x [B, H, W, Cin] does not match weight [Cout, Cin, kh, kw]: x", xs, "weight", ws);
    require(stride >= 1 && padding >= 0, op, "need stride >= 1 and padding >= 0, got stride=" + stride
        + " padding=" + padding + " for x", xs);
    int ho = (xs[1] + 2 * padding - ws[2]) / stride + 1;
    int wo = (xs[2] + 2 * padding - ws[3]) / stride + 1;
    require(xs[1] + 2 * padding >= ws[2] && xs[2] + 2 * padding >= ws[3], op,
        "kernel larger than the padded input: x", xs, "weight", ws, "padding " + padding);
    int[] outShape = {xs[0], ho, wo, ws[0]};
    checkShape(op, outShape);
    MatrixOps.ConvShape shape =
        new MatrixOps.ConvShape(xs[0], xs[1], xs[2], xs[3], ws[2], ws[3], stride, padding, ho, wo);
    float[] b = vector(op, "bias", bias, ws[0]);
    PackedMatrix packed =
        w.packed(CONV_LAYOUT, () -> MatrixOps.packConvWeight(w.data(), ws[0], ws[1], ws[2], ws[3]));
    CpuTensor out = output(outShape);
    MatrixOps.conv2d(parallel, in.data(), shape, packed, b, out.data());
    return out;
  }

  // ---- attention ----------------------------------------------------------------------------------

  @Override
  public Tensor neighborhoodAttention2d(Tensor qkv, Tensor rpb, NaParams params) {
    String op = "neighborhoodAttention2d";
    CpuTensor in = input(op, "qkv", qkv);
    require(params != null, op, "params are null for qkv", in.shape());
    int[] s = in.shape();
    require(s.length == 4 && s[3] % 3 == 0, op, "qkv must be [B, H, W, 3C], got", s);
    int c = s[3] / 3;
    int k = params.kernel();
    int d = params.dilation();
    require(c % params.heads() == 0, op, "C=" + c + " is not divisible by heads=" + params.heads() + "; qkv", s);
    require(NeighborhoodWindow.fits(s[1], k, d) && NeighborhoodWindow.fits(s[2], k, d), op,
        "kernel " + k + " x dilation " + d + " exceeds the map (pad it first); qkv", s);
    float[] bias = null;
    if (rpb != null) {
      int side = 2 * k - 1;
      bias = sameShape(op, "rpb [heads, 2k-1, 2k-1]", rpb, new int[] {params.heads(), side, side});
    }
    CpuTensor out = output(s[0], s[1], s[2], c);
    NeighborhoodAttention2d.Shape shape =
        new NeighborhoodAttention2d.Shape(s[0], s[1], s[2], c, params.heads(), k, d);
    NeighborhoodAttention2d.run(parallel, in.data(), bias, shape, out.data());
    return out;
  }

  // ---- video: the arithmetic lives in MaskedAttention and Conv3d ----------------------------------

  @Override
  public Tensor selfAttention(Tensor qkv, int heads, AttentionMask mask) {
    CpuTensor in = input(MaskedAttention.OP, "qkv", qkv);
    MaskedAttention.Shape shape = MaskedAttention.Shape.of(in.shape(), heads, mask);
    CpuTensor out = output(shape.outputShape());
    MaskedAttention.run(parallel, in.data(), shape, mask, out.data());
    return out;
  }

  @Override
  public Tensor conv3d(Tensor x, Tensor weight, Tensor bias, int strideT, int strideH, int strideW) {
    CpuTensor in = input(Conv3d.OP, "x", x);
    CpuTensor w = input(Conv3d.OP, "weight", weight);
    Conv3d.Shape shape = Conv3d.Shape.of(in.shape(), w.shape(), strideT, strideH, strideW);
    checkShape(Conv3d.OP, shape.outputShape());
    float[] b = vector(Conv3d.OP, "bias", bias, shape.cout());
    PackedMatrix packed = w.packed(Conv3d.OP, () -> Conv3d.packWeight(w.data(), shape));
    CpuTensor out = output(shape.outputShape());
    Conv3d.run(parallel, in.data(), shape, packed, b, out.data());
    return out;
  }

  // ---- maps ---------------------------------------------------------------------------------------

  @Override
  public Tensor pad2d(Tensor x, int padBottom, int padRight) {
    String op = "pad2d";
    CpuTensor in = input(op, "x", x);
    int[] s = map(op, in);
    require(padBottom >= 0 && padRight >= 0, op,
        "negative padding bottom=" + padBottom + " right=" + padRight + " for x", s);
    return copyCorner(op, in, s, s[1] + padBottom, s[2] + padRight);
  }

  @Override
  public Tensor crop2d(Tensor x, int h, int w) {
    String op = "crop2d";
    CpuTensor in = input(op, "x", x);
    int[] s = map(op, in);
    require(h >= 0 && w >= 0 && h <= s[1] && w <= s[2], op, "cannot crop to " + h + "x" + w + " from x", s);
    return copyCorner(op, in, s, h, w);
  }

  private Tensor copyCorner(String op, CpuTensor in, int[] s, int h, int w) {
    int[] outShape = {s[0], h, w, s[3]};
    checkShape(op, outShape);
    CpuTensor out = output(outShape);
    MapOps.copyCorner(parallel, in.data(), mapOf(s), mapOf(outShape), out.data());
    return out;
  }

  @Override
  public Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
    String op = "resizeBilinear";
    CpuTensor in = input(op, "x", x);
    int[] s = map(op, in);
    require(outH >= 1 && outW >= 1 && s[1] >= 1 && s[2] >= 1, op,
        "cannot resize to " + outH + "x" + outW + " from x", s);
    int[] outShape = {s[0], outH, outW, s[3]};
    checkShape(op, outShape);
    CpuTensor out = output(outShape);
    MapOps.resizeBilinear(parallel, in.data(), mapOf(s), mapOf(outShape), alignCorners, out.data());
    return out;
  }

  @Override
  public ClassMaps classMaps(Tensor scores, int midH, int midW, int[] outH, int[] outW, boolean withProbabilities) {
    CpuTensor in = input("classMaps", "scores", scores);
    int[] s = in.shape();
    ClassMaps.requireArguments(s, midH, midW, outH, outW);
    int[][] classes = new int[s[0]][];
    float[][] probabilities = withProbabilities ? new float[s[0]][] : null;
    for (int i = 0; i < s[0]; i++) {
      classes[i] = new int[outH[i] * outW[i]];
      if (withProbabilities) {
        probabilities[i] = new float[classes[i].length];
      }
      MapOps.classMap(parallel, in.data(), i * s[1] * s[2] * s[3], new MapOps.Map(1, s[1], s[2], s[3]), midH, midW,
          outH[i], outW[i], classes[i], withProbabilities ? probabilities[i] : null);
    }
    return new ClassMaps(classes, probabilities);
  }

  @Override
  public Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
    String op = "adaptiveAvgPool2d";
    CpuTensor in = input(op, "x", x);
    int[] s = map(op, in);
    require(outH >= 1 && outW >= 1 && s[1] >= 1 && s[2] >= 1, op,
        "cannot pool to " + outH + "x" + outW + " from x", s);
    int[] outShape = {s[0], outH, outW, s[3]};
    checkShape(op, outShape);
    CpuTensor out = output(outShape);
    MapOps.adaptiveAvgPool2d(parallel, in.data(), mapOf(s), mapOf(outShape), out.data());
    return out;
  }

  @Override
  public Tensor meanPool(Tensor x) {
    String op = "meanPool";
    CpuTensor in = input(op, "x", x);
    int[] s = in.shape();
    require(s.length >= 2, op, "need [B, ..., C], got", s);
    int c = s[s.length - 1];
    int tokens = (int) (in.numel() / Math.max(1, (long) s[0] * c));
    require(tokens >= 1, op, "no tokens to average in x", s);
    CpuTensor out = output(s[0], c);
    MapOps.meanPool(parallel, in.data(), s[0], tokens, c, out.data());
    return out;
  }

  // ---- rows and elements --------------------------------------------------------------------------

  @Override
  public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
    String op = "layerNorm";
    CpuTensor in = input(op, "x", x);
    int n = lastAxis(op, in);
    float[] g = vector(op, "gamma", gamma, n);
    float[] b = vector(op, "beta", beta, n);
    CpuTensor out = output(in.shape());
    RowOps.layerNorm(parallel, in.data(), rows(in, n), n, g, b, eps, out.data());
    return out;
  }

  @Override
  public Tensor batchNorm(
      Tensor x, Tensor mean, Tensor var, Tensor gamma, Tensor beta, float eps, boolean relu) {
    String op = "batchNorm";
    CpuTensor in = input(op, "x", x);
    int n = lastAxis(op, in);
    require(mean != null && var != null, op, "running mean and var are required; x", in.shape());
    float[] m = vector(op, "mean", mean, n);
    float[] v = vector(op, "var", var, n);
    float[] g = vector(op, "gamma", gamma, n);
    float[] b = vector(op, "beta", beta, n);
    CpuTensor out = output(in.shape());
    RowOps.batchNorm(parallel, in.data(), rows(in, n), n, m, v, g, b, eps, relu, out.data());
    return out;
  }

  @Override
  public Tensor softmax(Tensor x) {
    String op = "softmax";
    CpuTensor in = input(op, "x", x);
    int n = lastAxis(op, in);
    CpuTensor out = output(in.shape());
    RowOps.softmax(parallel, in.data(), rows(in, n), n, out.data());
    return out;
  }

  @Override
  public Tensor activation(Tensor x, Activation act) {
    String op = "activation";
    CpuTensor in = input(op, "x", x);
    require(act != null, op, "activation is null for x", in.shape());
    CpuTensor out = output(in.shape());
    RowOps.activation(parallel, in.data(), act, out.data());
    return out;
  }

  @Override
  public Tensor add(Tensor a, Tensor b) {
    String op = "add";
    CpuTensor left = input(op, "a", a);
    CpuTensor right = input(op, "b", b);
    require(Arrays.equals(left.shape(), right.shape()), op, "shapes differ: a", left.shape(), "b", right.shape());
    CpuTensor out = output(left.shape());
    RowOps.add(parallel, left.data(), right.data(), out.data());
    return out;
  }

  @Override
  public Tensor concatLast(Tensor... xs) {
    String op = "concatLast";
    require(xs != null && xs.length >= 1, op, "needs at least one tensor");
    CpuTensor[] ins = new CpuTensor[xs.length];
    int[] first = input(op, "xs[0]", xs[0]).shape();
    require(first.length >= 1, op, "tensors need at least one axis; xs[0]", first);
    float[][] data = new float[xs.length][];
    int[] widths = new int[xs.length];
    long total = 0;
    for (int i = 0; i < xs.length; i++) {
      ins[i] = input(op, "xs[" + i + "]", xs[i]);
      int[] s = ins[i].shape();
      require(s.length == first.length
              && Arrays.equals(Arrays.copyOf(s, s.length - 1), Arrays.copyOf(first, first.length - 1)),
          op, "leading axes differ: xs[0]", first, "xs[" + i + "]", s);
      widths[i] = s[s.length - 1];
      data[i] = ins[i].data();
      total += widths[i];
    }
    int[] outShape = first.clone();
    require(total <= Integer.MAX_VALUE, op, "concatenated axis too long: " + total + " for xs[0]", first);
    outShape[outShape.length - 1] = (int) total;
    checkShape(op, outShape);
    CpuTensor out = output(outShape);
    int rows = (int) (Shapes.numel(outShape) / Math.max(1, total));
    RowOps.concatLast(parallel, data, widths, total == 0 ? 0 : rows, out.data());
    return out;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      parallel.close();
    }
  }

  // ---- argument checks ----------------------------------------------------------------------------

  private void checkNotClosed(String op) {
    if (closed.get()) {
      throw new IllegalStateException(op + ": the CPU backend is closed");
    }
  }

  /** The tensor as this backend's, open; otherwise an error naming the operator and the argument. */
  private CpuTensor input(String op, String role, Tensor t) {
    checkNotClosed(op);
    require(t != null, op, role + " is null");
    if (!(t instanceof CpuTensor ct) || ct.backend() != this) {
      throw new IllegalArgumentException(op + ": " + role + " " + t + " belongs to another backend");
    }
    if (ct.isClosed()) {
      throw new IllegalStateException(op + ": " + role + " " + Shapes.str(ct.shape()) + " was already closed");
    }
    return ct;
  }

  /** A new output tensor owned by the caller's innermost arena. */
  private CpuTensor output(int... shape) {
    float[] data = new float[(int) Shapes.numel(shape)];
    if (poisonOutputs) {
      Arrays.fill(data, Float.NaN);
    }
    return new CpuTensor(this, shape, data);
  }

  private static void checkShape(String op, int[] shape) {
    require(shape != null, op, "shape is null");
    for (int d : shape) {
      require(d >= 0, op, "negative dimension in shape", shape);
    }
    require(Shapes.numel(shape) <= MAX_ELEMENTS, op,
        "more than " + MAX_ELEMENTS + " elements do not fit a Java array; shape", shape);
  }

  /** The data of an optional per-channel vector, which must be [n] when present. */
  private float[] vector(String op, String role, Tensor t, int n) {
    if (t == null) {
      return null;
    }
    CpuTensor v = input(op, role, t);
    require(v.rank() == 1 && v.dim(0) == n, op, role + " must be [" + n + "], got", v.shape());
    return v.data();
  }

  private float[] sameShape(String op, String role, Tensor t, int[] expected) {
    CpuTensor v = input(op, role, t);
    require(Arrays.equals(v.shape(), expected), op, role + " has shape", v.shape(), "expected", expected);
    return v.data();
  }

  private static int[] map(String op, CpuTensor t) {
    int[] s = t.shape();
    require(s.length == 4, op, "need a [B, H, W, C] map, got", s);
    return s;
  }

  private static MapOps.Map mapOf(int[] s) {
    return new MapOps.Map(s[0], s[1], s[2], s[3]);
  }

  private static int lastAxis(String op, CpuTensor t) {
    int[] s = t.shape();
    require(s.length >= 1, op, "needs at least one axis, got", s);
    return s[s.length - 1];
  }

  private static int rows(CpuTensor t, int n) {
    return n == 0 ? 0 : (int) (t.numel() / n);
  }
}
