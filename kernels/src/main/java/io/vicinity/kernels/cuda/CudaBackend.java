package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.vicinity.kernels.Activation;
import io.vicinity.kernels.Arena;
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
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import jcuda.Pointer;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * The operator contract on one NVIDIA GPU through the JCuda driver API. Activations and weights are
 * stored in the compute dtype (F32, BF16 or F16; host data is converted on the device at upload) and
 * every kernel accumulates in float32. One stream and one memory pool per instance; operations are
 * serialised per instance. Create with {@link #tryCreate}, which says why when the GPU path cannot run.
 */
public final class CudaBackend implements Backend {
  /** Classpath resource built by kernels/build-cuda.sh during generate-resources. */
  public static final String FATBIN_RESOURCE = "/io/vicinity/kernels/cuda/vicinity.fatbin";
  /** Tests set this to fill every new device block with NaN and to synchronise after each launch. */
  public static final String DEBUG_PROPERTY = "vicinity.cuda.debug";

  /** Downloads go through one staging chunk of at most this; uploads through two of a quarter of it. */
  private static final long STAGING_CHUNK_BYTES = 128L << 20;
  private static final long UPLOAD_CHUNK_BYTES = STAGING_CHUNK_BYTES / 4;
  private static final int COPY_PIECE_BYTES = 1 << 20;
  private static volatile byte[] fatbin;

  private final CudaDevice device;
  private final DType computeType;
  private final CUstream stream;
  private final DevicePool pool;
  private final PinnedStaging staging = new PinnedStaging();
  private final KernelLauncher launcher;
  private boolean closed;

  /** What {@link #tryCreate} returns: the backend, or empty with the reason. */
  public record Creation(Optional<CudaBackend> backend, CudaAvailability availability) {}

  private CudaBackend(CudaDevice device, DType computeType, boolean debug) {
    this.device = device;
    this.computeType = computeType;
    device.makeCurrent();
    this.stream = new CUstream();
    CudaException.check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    this.pool = new DevicePool(stream, debug);
    this.launcher = new KernelLauncher(device, stream, debug);
  }

  // ---- availability and creation ----------------------------------------------------------------

  /** Checks, in order: fatbin packaged, JCuda loadable, driver present, device 0 present and sm_80+. */
  public static CudaAvailability availability() {
    return availability(0);
  }

  public static CudaAvailability availability(int ordinal) {
    if (loadFatbin() == null) {
      return new CudaAvailability(CudaStatus.NO_FATBIN,
          "this build has no " + FATBIN_RESOURCE + " (nvcc was not found when the kernels module was built)");
    }
    try {
      return CudaProbe.probe(ordinal);
    } catch (LinkageError e) {
      return new CudaAvailability(CudaStatus.NO_JCUDA, linkFailureReason(e));
    } catch (RuntimeException e) {
      return new CudaAvailability(CudaStatus.NO_DRIVER, "CUDA driver check failed: " + e.getMessage());
    }
  }

  /** JCuda's link errors run to a page of nested traces; the log needs the one line that says why. */
  static String linkFailureReason(LinkageError e) {
    String msg = String.valueOf(e.getMessage());
    if (msg.contains("libcuda.so")) {
      return "no NVIDIA driver on this machine (libcuda.so.1 not found)";
    }
    return "JCuda could not be loaded: " + msg.lines().findFirst().orElse(e.toString());
  }

  /** A backend on device {@code ordinal} computing in {@code computeType}, or the reason it cannot run. */
  public static Creation tryCreate(int ordinal, DType computeType) {
    CudaAvailability a = availability(ordinal);
    if (!a.available()) {
      return new Creation(Optional.empty(), a);
    }
    try {
      CudaDevice dev = CudaDevice.get(ordinal, loadFatbin());
      CudaBackend b = new CudaBackend(dev, computeType, Boolean.getBoolean(DEBUG_PROPERTY));
      return new Creation(Optional.of(b), new CudaAvailability(CudaStatus.AVAILABLE, dev.describe()));
    } catch (CudaException | LinkageError e) {
      return new Creation(Optional.empty(), new CudaAvailability(CudaStatus.UNSUPPORTED_DEVICE, e.toString()));
    }
  }

  /** Like {@link #tryCreate} but throws with the reason. */
  public static CudaBackend create(int ordinal, DType computeType) {
    Creation c = tryCreate(ordinal, computeType);
    return c.backend().orElseThrow(() -> new IllegalStateException("CUDA backend unavailable: " + c.availability()));
  }

  private static byte[] loadFatbin() {
    byte[] f = fatbin;
    if (f == null) {
      try (InputStream in = CudaBackend.class.getResourceAsStream(FATBIN_RESOURCE)) {
        if (in == null) {
          return null;
        }
        f = in.readAllBytes();
        fatbin = f;
      } catch (IOException e) {
        return null;
      }
    }
    return f;
  }

  // ---- Backend: identity and memory -------------------------------------------------------------

  @Override
  public BackendKind kind() {
    return BackendKind.CUDA;
  }

  @Override
  public String describe() {
    return device.describe() + ", compute " + computeType;
  }

  @Override
  public DType computeType() {
    return computeType;
  }

  /** The GPU this backend runs on (tests and benchmarks ask what it can run). */
  CudaDevice device() {
    return device;
  }

  /** The backend's stream (benchmarks record events on it). */
  jcuda.driver.CUstream stream() {
    return stream;
  }

  DevicePool pool() {
    return pool;
  }

  /** Checks the backend is open and binds its context to the calling thread (CudaGraphs). */
  void bind() {
    enter();
  }

  /** Device bytes handed out now and reserved from the driver (leak checks, logs). */
  public long liveBytes() {
    return pool.liveBytes();
  }

  public long reservedBytes() {
    return pool.reservedBytes();
  }

  /** Number of cuMemAlloc calls so far (flat in steady state). */
  public long allocCalls() {
    return pool.allocCalls();
  }

  @Override
  public Arena openArena(String name) {
    return ArenaStack.open(name);
  }

  /** An uninitialised tensor in the compute dtype (NaN-filled in debug mode). */
  public synchronized Tensor allocate(int... shape) {
    enter();
    return newTensor("allocate", shape);
  }

  @Override
  public synchronized Tensor fromHost(float[] data, int... shape) {
    enter();
    Shapes.require(data.length == Shapes.numel(shape), "fromHost", "data length " + data.length + " != numel of", shape);
    CudaTensor t = newTensor("fromHost", shape);
    upload(t, 0, data);
    return t;
  }

  /**
   * Off-heap float32 (e.g. Arrow vectors) -> device: each buffer is copied into the pinned staging buffer
   * (a native memcpy), then one async H2D per staging chunk; no float[] on the heap in between.
   */
  @Override
  public synchronized Tensor fromHost(List<ByteBuffer> direct, int... shape) {
    enter();
    long bytes = 0;
    for (ByteBuffer b : direct) {
      Shapes.require(b.isDirect() && b.remaining() % 4 == 0, "fromHost", "needs direct buffers of whole float32 "
          + "values, got " + b + " for", shape);
      bytes += b.remaining();
    }
    Shapes.require(bytes == 4 * Shapes.numel(shape), "fromHost", bytes + " bytes != 4 * numel of", shape);
    CudaTensor t = newTensor("fromHost", shape);
    DevicePtr dst = t.ptr("fromHost");
    if (computeType == DType.F32) {
      copyIn(dst, direct);
      return t;
    }
    DeviceBuffer tmp = pool.acquire(bytes, "fromHost staging");
    try {
      copyIn(tmp.ptr(), direct);
      long n = bytes / 4;
      launcher.launch1d(KernelCatalog.kernel("convert_from_f32", computeType), n, () -> "fromHost of " + n,
          Pointer.to(tmp.ptr()), Pointer.to(dst), Pointer.to(new long[] {n}));
    } finally {
      pool.release(tmp);
    }
    sync("fromHost");
    return t;
  }

  /**
   * Off-heap bytes -> device through the per-channel table: the table (3 KB for RGB) and the bytes go up in
   * one staged copy, then one lookup kernel writes the compute dtype.
   */
  @Override
  public synchronized Tensor fromHostBytes(List<ByteBuffer> direct, float[] values, int... shape) {
    enter();
    long bytes = Backend.checkFromHostBytes(direct, values, shape);
    CudaTensor t = newTensor("fromHostBytes", shape);
    ByteBuffer table = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    table.asFloatBuffer().put(values);
    int channels = shape[shape.length - 1];
    uploadBehind(table, direct, bytes, staged -> launcher.launch1d(KernelCatalog.kernel("byte_lookup", computeType),
        bytes, () -> "fromHostBytes of " + bytes, Pointer.to(staged), Pointer.to(staged.offset(table.capacity())),
        Pointer.to(t.ptr("fromHostBytes")), Pointer.to(new long[] {bytes}), Pointer.to(new int[] {channels})));
    return t;
  }

  /**
   * Decoded images -> device, resampled there: the table, each image's plan and source offset, the distinct plans'
   * index and weight arrays and the images' bytes go up in one staged copy, then one kernel computes each output
   * pixel's two passes (the horizontal pass for each row the vertical one reads, clipped to 8 bits as on the host)
   * and writes its table values. Images that are all resized already take the plain lookup.
   */
  @Override
  public synchronized Tensor fromHostBytes(List<ByteBuffer> direct, List<ByteResample> resamples, float[] values,
      int... shape) {
    enter();
    long bytes = Backend.checkFromHostBytes(direct, resamples, values, shape);
    if (resamples.stream().allMatch(ByteResample::isCopy)) {
      return fromHostBytes(direct, values, shape);
    }
    CudaTensor t = newTensor("fromHostBytes", shape);
    // Per image: its plan's offset among the plans' ints and its first source byte; each distinct plan once.
    Map<ByteResample, Integer> planAt = new IdentityHashMap<>();
    List<int[]> planInts = new ArrayList<>();
    int[] index = new int[2 * resamples.size()];
    int ints = 0;
    long source = 0;
    for (int i = 0; i < resamples.size(); i++) {
      ByteResample r = resamples.get(i);
      Integer at = planAt.get(r);
      if (at == null) {
        int[] plan = planInts(r);
        at = ints;
        planAt.put(r, at);
        planInts.add(plan);
        ints += plan.length;
      }
      index[2 * i] = at;
      index[2 * i + 1] = (int) source;
      source += r.sourceBytes();
    }
    ByteBuffer head = ByteBuffer.allocateDirect(values.length * 4 + (index.length + ints) * 4)
        .order(ByteOrder.LITTLE_ENDIAN);
    head.asFloatBuffer().put(values);
    head.position(values.length * 4);
    head.asIntBuffer().put(index);
    head.position(head.position() + index.length * 4);
    for (int[] plan : planInts) {
      head.asIntBuffer().put(plan);
      head.position(head.position() + plan.length * 4);
    }
    head.clear();
    long pixels = Shapes.numel(shape) / ByteResample.CHANNELS;
    long perImage = (long) shape[shape.length - 3] * shape[shape.length - 2];
    long indexAt = values.length * 4L;
    long plansAt = indexAt + index.length * 4L;
    uploadBehind(head, direct, bytes, staged -> launcher.launch1d(KernelCatalog.kernel("resample_lookup", computeType),
        pixels, () -> "fromHostBytes resampling " + resamples.size() + " images (the first "
            + resamples.get(0).sourceWidth() + "x" + resamples.get(0).sourceHeight() + ") to " + Arrays.toString(shape),
        Pointer.to(staged), Pointer.to(staged.offset(indexAt)), Pointer.to(staged.offset(plansAt)),
        Pointer.to(staged.offset(head.capacity())), Pointer.to(t.ptr("fromHostBytes")), Pointer.to(new long[] {pixels}),
        Pointer.to(new long[] {perImage})));
    return t;
  }

  /** A plan as resample_lookup (elementwise.cu) reads it: its sizes, then the passes' arrays. */
  private static int[] planInts(ByteResample r) {
    ByteResample.Pass v = r.vertical();
    ByteResample.Pass h = r.horizontal();
    int[] sizes = {r.sourceHeight(), r.sourceWidth(), v.size(), v.kernelSize(), h.size(), h.kernelSize(), r.top(),
        r.left(), r.height(), r.width()};
    IntStream parts = IntStream.of(sizes);
    for (int[] part : new int[][] {v.first(), v.count(), v.weights(), h.first(), h.count(), h.weights()}) {
      parts = IntStream.concat(parts, IntStream.of(part));
    }
    return parts.toArray();
  }

  /**
   * {@code head} (a kernel's table and parameters) and then the {@code bytes} of {@code direct} go up in one
   * staged copy; {@code launch} gets its device address (the bytes start at {@code head.capacity()}) and runs
   * the kernel that reads them before the staging is freed.
   */
  private void uploadBehind(ByteBuffer head, List<ByteBuffer> direct, long bytes, Consumer<DevicePtr> launch) {
    List<ByteBuffer> parts = new ArrayList<>(direct.size() + 1);
    parts.add(head);
    parts.addAll(direct);
    DeviceBuffer tmp = pool.acquire(head.capacity() + bytes, "fromHostBytes staging");
    try {
      copyIn(tmp.ptr(), parts);
      launch.accept(tmp.ptr());
    } finally {
      pool.release(tmp);
    }
    sync("fromHostBytes");
  }

  /**
   * Fills staging chunks from the buffers in order (little-endian float32 bytes, as the device reads them). The
   * fill is a host memcpy at DRAM speed, most of an upload's time (6 GB/s on one thread), so its 1 MiB pieces
   * run in parallel, and the next chunk fills while the last one's DMA runs.
   */
  private void copyIn(DevicePtr dst, List<ByteBuffer> direct) {
    long total = 0;
    for (ByteBuffer b : direct) {
      total += b.remaining();
    }
    long done = 0;
    int part = 0;
    int from = direct.isEmpty() ? 0 : direct.get(0).position();
    while (done < total) {
      int len = (int) Math.min(UPLOAD_CHUNK_BYTES, total - done);
      PinnedStaging.Slot slot = staging.nextUpload(len);
      ByteBuffer chunk = slot.buffer();
      List<CopyRun> runs = new ArrayList<>();
      for (int at = 0; at < len; ) {
        ByteBuffer src = direct.get(part);
        int n = Math.min(src.limit() - from, len - at);
        for (int off = 0; off < n; off += COPY_PIECE_BYTES) {
          runs.add(new CopyRun(src, from + off, at + off, Math.min(COPY_PIECE_BYTES, n - off)));
        }
        at += n;
        from += n;
        if (from == src.limit() && part + 1 < direct.size()) {
          from = direct.get(++part).position();
        }
      }
      inPieces(runs.size(), i -> {
        CopyRun r = runs.get(i);
        chunk.put(r.to(), r.src(), r.from(), r.bytes());
      });
      CudaException.check(cuMemcpyHtoDAsync(dst.offset(done), slot.pointer(), len, stream),
          "cuMemcpyHtoDAsync(" + len + " bytes)");
      slot.issued(stream);
      done += len;
    }
    sync("upload");
  }

  /** Writes {@code data} into {@code t} starting at element {@code offset} (converted to t's dtype). */
  public synchronized void upload(Tensor t, long offset, float[] data) {
    enter();
    CudaTensor ct = own(t, "upload");
    Shapes.require(offset >= 0 && offset + data.length <= t.numel(), "upload", "range outside", t.shape());
    DevicePtr dst = ct.ptr("upload").offset(offset * computeType.bytes());
    if (computeType == DType.F32) {
      copyIn(dst, data);
      return;
    }
    DeviceBuffer tmp = pool.acquire((long) data.length * 4, "upload staging");
    try {
      copyIn(tmp.ptr(), data);
      long n = data.length;
      launcher.launch1d(KernelCatalog.kernel("convert_from_f32", computeType), n, () -> "upload of " + n,
          Pointer.to(tmp.ptr()), Pointer.to(dst), Pointer.to(new long[] {n}));
    } finally {
      pool.release(tmp);
    }
    sync("upload");
  }

  @Override
  public synchronized float[] toHost(Tensor t) {
    Shapes.require(t.numel() <= Integer.MAX_VALUE - 8, "toHost", "too large for a float[]:", t.shape());
    return download(t, 0, (int) t.numel());
  }

  /** Reads {@code count} elements of {@code t} from element {@code offset} as float32. */
  public synchronized float[] download(Tensor t, long offset, int count) {
    enter();
    CudaTensor ct = own(t, "toHost");
    Shapes.require(offset >= 0 && offset + count <= t.numel(), "toHost", "range outside", t.shape());
    DevicePtr src = ct.ptr("toHost").offset(offset * computeType.bytes());
    if (computeType == DType.F32) {
      return copyOut(src, count);
    }
    DeviceBuffer tmp = pool.acquire((long) count * 4, "download staging");
    try {
      launcher.launch1d(KernelCatalog.kernel("convert_to_f32", computeType), count, () -> "download of " + count,
          Pointer.to(src), Pointer.to(tmp.ptr()), Pointer.to(new long[] {count}));
      return copyOut(tmp.ptr(), count);
    } finally {
      pool.release(tmp);
    }
  }

  private void copyIn(DevicePtr dst, float[] data) {
    int chunk = (int) (UPLOAD_CHUNK_BYTES / 4);
    for (int off = 0; off < data.length; off += chunk) {
      int len = Math.min(chunk, data.length - off);
      PinnedStaging.Slot slot = staging.nextUpload((long) len * 4);
      FloatBuffer f = slot.buffer().asFloatBuffer();
      int piece = COPY_PIECE_BYTES / 4, base = off;
      inPieces((len + piece - 1) / piece, i -> f.put(i * piece, data, base + i * piece, Math.min(piece, len - i * piece)));
      CudaException.check(cuMemcpyHtoDAsync(dst.offset((long) off * 4), slot.pointer(), (long) len * 4, stream),
          "cuMemcpyHtoDAsync(" + len * 4L + " bytes)");
      slot.issued(stream);
    }
    sync("upload");
  }

  /** {@code bytes} of {@code src} from its index {@code from} to the staging chunk's index {@code to}. */
  private record CopyRun(ByteBuffer src, int from, int to, int bytes) {}

  /** Runs piece 0..n-1 of a staging fill, in parallel when there is more than one (disjoint absolute puts). */
  private static void inPieces(int n, IntConsumer piece) {
    if (n == 1) {
      piece.accept(0);
    } else {
      IntStream.range(0, n).parallel().forEach(piece);
    }
  }

  private float[] copyOut(DevicePtr src, int count) {
    float[] out = new float[count];
    copyOut(src, count, (b, off, len) -> b.asFloatBuffer().get(out, off, len));
    return out;
  }

  /** Receives one staged piece of a download: {@code len} 4-byte values for indexes {@code off}... */
  private interface StagedPiece {
    void take(ByteBuffer staged, int off, int len);
  }

  /** Copies {@code n} values from index {@code from} of a staged piece to index {@code at} of image {@code i}'s array. */
  interface ImageCopy {
    void copy(int i, int from, int at, int n);
  }

  /**
   * Splits the staged piece [off, off + len) of a flat per-image download (image i's values at [first[i],
   * first[i + 1])) among the images it overlaps.
   */
  static void forEachImage(long[] first, int off, int len, ImageCopy copy) {
    for (int i = 0; i + 1 < first.length; i++) {
      long lo = Math.max(first[i], off);
      long hi = Math.min(first[i + 1], (long) off + len);
      if (lo < hi) {
        copy.copy(i, (int) (lo - off), (int) (lo - first[i]), (int) (hi - lo));
      }
    }
  }

  /** Downloads {@code count} 4-byte values through the pinned staging buffer, a chunk at a time. */
  private void copyOut(DevicePtr src, int count, StagedPiece sink) {
    int chunk = (int) (STAGING_CHUNK_BYTES / 4);
    for (int off = 0; off < count; off += chunk) {
      int len = Math.min(chunk, count - off);
      PinnedStaging.Slot slot = staging.single((long) len * 4);
      ByteBuffer b = slot.buffer();
      CudaException.check(cuMemcpyDtoHAsync(slot.pointer(), src.offset((long) off * 4), (long) len * 4, stream),
          "cuMemcpyDtoHAsync(" + len * 4L + " bytes)");
      sync("download");
      sink.take(b, off, len);
    }
  }

  /** Waits for the stream; asynchronous kernel faults surface here. */
  public synchronized void synchronize() {
    enter();
    sync("synchronize");
  }

  private void sync(String what) {
    CudaException.check(cuStreamSynchronize(stream), "cuStreamSynchronize after " + what);
  }

  // ---- operators --------------------------------------------------------------------------------

  @Override
  public synchronized Tensor linear(Tensor x, Tensor weight, Tensor bias, Epilogue epilogue) {
    enter();
    final String op = "linear";
    int[] xs = x.shape();
    int[] ws = weight.shape();
    Shapes.require(ws.length == 2 && xs[xs.length - 1] == ws[1], op, "x [..., in] and weight [out, in] do not match:", xs, ws);
    int n = ws[0];
    int[] os = xs.clone();
    os[os.length - 1] = n;
    requireVector(bias, n, op, "bias");
    Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
    requireVector(e.scale(), n, op, "scale");
    if (e.residual() != null) {
      Shapes.require(Arrays.equals(e.residual().shape(), os), op, "residual must have the output shape", os, e.residual().shape());
    }
    CudaTensor out = newTensor(op, os);
    gemm(op, ptr(x, op), x.numel() / ws[1], ws[1], weight, bias, e, out,
        () -> "linear x " + Shapes.str(xs) + " weight " + Shapes.str(ws));
    return out;
  }

  /** out[m, :] = epilogue(x[m, :] W^T + bias) over m in [0, numel(x)/k). */
  private void gemm(String op, DevicePtr xp, long m, int k, Tensor weight, Tensor bias, Epilogue e, CudaTensor out,
      Supplier<String> shapes) {
    int n = weight.dim(0);
    int es = computeType.bytes();
    DevicePtr wp = ptr(weight, op);
    DevicePtr bp = bias == null ? DevicePtr.NULL : ptr(bias, op);
    DevicePtr sp = e.scale() == null ? DevicePtr.NULL : ptr(e.scale(), op);
    DevicePtr rp = e.residual() == null ? DevicePtr.NULL : ptr(e.residual(), op);
    DevicePtr op0 = out.ptr(op);
    GemmDispatch.Config cfg = GemmDispatch.choose(computeType, m, n, k, KernelCatalog.wgmma(device), device.smCount,
        xp.address(), wp.address(), bp.address(), sp.address(), rp.address(), op0.address());
    long rowsPerLaunch = 65535L * cfg.bm();
    for (long m0 = 0; m0 < m; m0 += rowsPerLaunch) {
      long rows = Math.min(rowsPerLaunch, m - m0);
      GemmLaunchParams p = new GemmLaunchParams(
          xp.offset(m0 * k * es), wp, bp, sp, rp == DevicePtr.NULL ? rp : rp.offset(m0 * n * es), op0.offset(m0 * n * es),
          rows, n, k, k, k, n, e.activation().ordinal());
      launcher.launch(cfg.kernel(), cfg.grid(rows, n), cfg.threads(), cfg.sharedBytes(), shapes, Pointer.to(p.toBytes()));
    }
  }

  @Override
  public synchronized Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
    enter();
    final String op = "conv2d";
    int[] xs = x.shape();
    int[] ws = weight.shape();
    Shapes.require(xs.length == 4 && ws.length == 4 && ws[1] == xs[3], op, "need x [B,H,W,Cin], weight [Cout,Cin,kh,kw]:", xs, ws);
    Shapes.require(stride >= 1 && padding >= 0, op, "stride >= 1 and padding >= 0, got " + stride + ", " + padding);
    int oh = (xs[1] + 2 * padding - ws[2]) / stride + 1;
    int ow = (xs[2] + 2 * padding - ws[3]) / stride + 1;
    Shapes.require(oh > 0 && ow > 0, op, "kernel larger than the padded input:", xs, ws);
    requireVector(bias, ws[0], op, "bias");
    CudaTensor out = newTensor(op, xs[0], oh, ow, ws[0]);
    int kcols = ws[1] * ws[2] * ws[3];
    Supplier<String> shapes = () -> "conv2d x " + Shapes.str(xs) + " weight " + Shapes.str(ws) + " stride " + stride + " pad " + padding;
    if (ws[2] == 1 && ws[3] == 1 && stride == 1 && padding == 0) {
      gemm(op, ptr(x, op), x.numel() / kcols, kcols, weight, bias, Epilogue.NONE, out, shapes);
      return out;
    }
    if (ConvDirectLaunchParams.fits(ws[1], ws[2], ws[3], ws[0], out.ptr(op).address())) { // the RGB stem
      ConvDirectLaunchParams p = new ConvDirectLaunchParams(ptr(x, op), ptr(weight, op),
          bias == null ? DevicePtr.NULL : ptr(bias, op), out.ptr(op), xs[0], xs[1], xs[2], xs[3], ws[2], ws[3],
          stride, padding, oh, ow, ws[0]);
      launcher.launch1d(KernelCatalog.kernel("conv_direct", computeType), (long) xs[0] * oh * ow, shapes,
          Pointer.to(p.toBytes()));
      return out;
    }
    long pixels = (long) xs[0] * oh * ow;
    DevicePtr xp = ptr(x, op);
    DevicePtr bp = bias == null ? DevicePtr.NULL : ptr(bias, op);
    DevicePtr outp = out.ptr(op);
    GemmDispatch.Config implicit = GemmDispatch.chooseConv(computeType, pixels, ws[0], ws[1], kcols,
        KernelCatalog.wgmma(device), device.smCount, xp.address(), bp.address(), outp.address());
    if (implicit != null) { // Hopper: the windows are read in place, no column buffer
      // the weight reordered to [Cout, kh, kw, Cin] once, on its first use, and kept with it
      DeviceBuffer taps = own(weight, op).convTaps(op, () -> {
        DeviceBuffer reordered = pool.acquireUnscoped((long) ws[0] * kcols * computeType.bytes(),
            "conv2d weight taps " + Shapes.str(ws));
        try {
          WeightTapsLaunchParams wt = new WeightTapsLaunchParams(ptr(weight, op), reordered.ptr(), ws[0], ws[1],
              ws[2] * ws[3]);
          launcher.launch1d(KernelCatalog.kernel("conv_weight_taps", computeType), (long) ws[0] * kcols, shapes,
              Pointer.to(wt.toBytes()));
          return reordered;
        } catch (RuntimeException e) {
          pool.release(reordered);
          throw e;
        }
      });
      GemmLaunchParams g = new GemmLaunchParams(xp, taps.ptr(), bp, DevicePtr.NULL, DevicePtr.NULL, outp, pixels,
          ws[0], kcols, kcols, kcols, ws[0], Activation.NONE.ordinal());
      ConvGemmLaunchParams p = new ConvGemmLaunchParams(g, xs[1], xs[2], xs[3], ws[2], ws[3], stride, padding, oh, ow);
      launcher.launch(implicit.kernel(), implicit.grid(pixels, ws[0]), implicit.threads(), implicit.sharedBytes(),
          shapes, Pointer.to(p.toBytes()));
      return out;
    }
    long colElems = pixels * kcols;
    DeviceBuffer col = pool.acquire(colElems * computeType.bytes(), "conv2d im2col " + Shapes.str(xs));
    try {
      Im2colLaunchParams p = new Im2colLaunchParams(xp, col.ptr(), xs[0], xs[1], xs[2], xs[3], ws[2], ws[3],
          stride, padding, oh, ow);
      launcher.launch1d(KernelCatalog.kernel("im2col", computeType), colElems, shapes, Pointer.to(p.toBytes()));
      gemm(op, col.ptr(), pixels, kcols, weight, bias, Epilogue.NONE, out, shapes);
    } finally {
      pool.release(col); // stream order: the GEMM reads it before any later reuse
    }
    return out;
  }

  @Override
  public synchronized Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
    enter();
    int c = x.dim(-1);
    requireVector(gamma, c, "layerNorm", "gamma");
    requireVector(beta, c, "layerNorm", "beta");
    DevicePtr g = gamma == null ? DevicePtr.NULL : ptr(gamma, "layerNorm");
    DevicePtr b = beta == null ? DevicePtr.NULL : ptr(beta, "layerNorm");
    Supplier<String> shapes = () -> "layerNorm x " + Shapes.str(x.shape());
    // Packed rows (reduce.cu layer_norm_packed): c / 8 packs of 8 channels spread over `lanes` lanes, the largest
    // power of two up to 32 dividing them, at most 4 packs each
    DevicePtr in = ptr(x, "layerNorm");
    long align = 8L * computeType.bytes(); // (outputs are whole pool blocks: cuMemAlloc-aligned)
    int lanes = c % 8 == 0 ? Math.min(32, Integer.lowestOneBit(c / 8)) : 0;
    if (lanes == 0 || c / 8 / lanes > 4 || in.address() % align != 0 || g.address() % align != 0
        || b.address() % align != 0) {
      return rowKernel("layer_norm", x, shapes, g, b, eps);
    }
    int packs = c / 8 / lanes;
    CudaTensor out = newTensor("layerNorm", x.shape());
    DevicePtr o = out.ptr("layerNorm");
    long rows = x.numel() / c;
    long warps = (rows + 32 / lanes - 1) / (32 / lanes);
    long blocks = Math.max(1, Math.min((warps + 7) / 8, (long) device.smCount * 32));
    launcher.launch("vc_layer_norm_p" + (packs == 1 ? 1 : 4) + "_" + KernelCatalog.suffix(computeType),
        new int[] {(int) blocks, 1, 1}, 256, 0, shapes, Pointer.to(in), Pointer.to(g), Pointer.to(b), Pointer.to(o),
        Pointer.to(new long[] {rows}), Pointer.to(new int[] {c}), Pointer.to(new float[] {eps}),
        Pointer.to(new int[] {lanes}));
    return out;
  }

  @Override
  public synchronized Tensor softmax(Tensor x) {
    enter();
    return rowKernel("softmax", x, () -> "softmax x " + Shapes.str(x.shape()), null, null, 0f);
  }

  /** One warp per row of the last axis; gamma/beta/eps only for layer norm. */
  private Tensor rowKernel(String family, Tensor x, Supplier<String> shapes, DevicePtr gamma, DevicePtr beta, float eps) {
    int c = x.dim(-1);
    long rows = x.numel() / c;
    CudaTensor out = newTensor(family, x.shape());
    long blocks = Math.max(1, Math.min((rows + 7) / 8, (long) device.smCount * 32));
    int[] grid = {(int) blocks, 1, 1};
    String k = KernelCatalog.kernel(family, computeType);
    if (gamma != null) {
      launcher.launch(k, grid, 256, 0, shapes, Pointer.to(ptr(x, family)), Pointer.to(gamma), Pointer.to(beta),
          Pointer.to(out.ptr(family)), Pointer.to(new long[] {rows}), Pointer.to(new long[] {c}), Pointer.to(new float[] {eps}));
    } else {
      launcher.launch(k, grid, 256, 0, shapes, Pointer.to(ptr(x, family)), Pointer.to(out.ptr(family)),
          Pointer.to(new long[] {rows}), Pointer.to(new long[] {c}));
    }
    return out;
  }

  @Override
  public synchronized Tensor neighborhoodAttention2d(Tensor qkv, Tensor rpb, NaParams params) {
    enter();
    final String op = "neighborhoodAttention2d";
    int[] s = qkv.shape();
    int heads = params.heads();
    int k = params.kernel();
    int d = params.dilation();
    Shapes.require(s.length == 4 && s[3] % 3 == 0 && (s[3] / 3) % heads == 0, op,
        "qkv must be [B, H, W, 3*C] with C divisible by heads=" + heads + ", got", s);
    Shapes.require(NeighborhoodWindow.fits(s[1], k, d) && NeighborhoodWindow.fits(s[2], k, d), op,
        "kernel " + k + " x dilation " + d + " exceeds the map (pad first):", s);
    int c = s[3] / 3;
    int headDim = c / heads;
    if (rpb != null) {
      Shapes.require(Arrays.equals(rpb.shape(), new int[] {heads, 2 * k - 1, 2 * k - 1}), op,
          "rpb must be [heads, 2k-1, 2k-1], got", rpb.shape());
    }
    KernelCatalog.NaPath path = KernelCatalog.naPath(computeType, headDim, k, device.maxSharedOptin);
    if (path == KernelCatalog.NaPath.GENERIC) {
      Shapes.require(k * k <= KernelCatalog.NA_REF_MAX_KK && headDim <= KernelCatalog.NA_REF_MAX_HEAD_DIM, op,
          "unsupported kernel " + k + " / head_dim " + headDim + " for", s);
    }
    CudaTensor out = newTensor(op, s[0], s[1], s[2], c);
    long w = s[2];
    long h = s[1];
    NaLaunchParams p = new NaLaunchParams(ptr(qkv, op), rpb == null ? DevicePtr.NULL : ptr(rpb, op), out.ptr(op),
        s[0], h, w, heads, headDim, k, d, h * w * 3 * c, w * 3 * c, 3L * c, h * w * c, w * c, c,
        (float) (1.0 / Math.sqrt(headDim)));
    Supplier<String> shapes = () -> op + " qkv " + Shapes.str(s) + " heads " + heads + " kernel " + k + " dilation " + d
        + " (" + path + ")";
    String kernel = KernelCatalog.naKernel(path, computeType, headDim);
    if (path == KernelCatalog.NaPath.FUSED_TENSOR_CORE) {
      int t = KernelCatalog.NA_TILE;
      long tiles = (long) d * d * ceilDiv(ceilDiv(h, d), t) * ceilDiv(ceilDiv(w, d), t);
      Shapes.require(tiles < Integer.MAX_VALUE && s[0] <= 65535, op, "grid too large for", s);
      launcher.launch(kernel, new int[] {(int) tiles, heads, s[0]}, KernelCatalog.NA_THREADS,
          KernelCatalog.naSharedBytes(headDim, k), shapes, Pointer.to(p.toBytes()));
    } else {
      long queries = (long) s[0] * heads * h * w;
      long blocks = ceilDiv(queries, KernelCatalog.NA_REF_WARPS);
      Shapes.require(blocks < Integer.MAX_VALUE, op, "grid too large for", s);
      launcher.launch(kernel, new int[] {(int) blocks, 1, 1}, KernelCatalog.NA_REF_WARPS * 32, 0, shapes,
          Pointer.to(p.toBytes()));
    }
    return out;
  }

  @Override
  public synchronized Tensor selfAttention(Tensor qkv, int heads, io.vicinity.kernels.AttentionMask mask) {
    enter();
    AttentionLaunch a = AttentionLaunch.plan(qkv.shape(), heads, mask, computeType);
    CudaTensor out = newTensor(AttentionLaunch.OP, a.outputShape());
    a.launch(launcher, ptr(qkv, AttentionLaunch.OP), out.ptr(AttentionLaunch.OP));
    return out;
  }

  @Override
  public synchronized Tensor conv3d(Tensor x, Tensor weight, Tensor bias, int strideT, int strideH, int strideW) {
    enter();
    final String op = Conv3dLaunch.OP;
    Conv3dLaunch c = Conv3dLaunch.plan(x.shape(), weight.shape(), strideT, strideH, strideW);
    requireVector(bias, c.cout(), op, "bias");
    CudaTensor out = newTensor(op, c.outputShape());
    Supplier<String> shapes = () -> "conv3d x " + Shapes.str(x.shape()) + " weight " + Shapes.str(weight.shape());
    long colElems = c.rows() * c.patchLength();
    DeviceBuffer col = pool.acquire(colElems * computeType.bytes(), "conv3d im2col " + Shapes.str(x.shape()));
    try {
      launcher.launch1d(KernelCatalog.kernel("im2col3d", computeType), colElems, shapes,
          Pointer.to(c.params(ptr(x, op), col.ptr())));
      gemm(op, col.ptr(), c.rows(), c.patchLength(), weight, bias, Epilogue.NONE, out, shapes);
    } finally {
      pool.release(col); // stream order: the GEMM reads it before any later reuse
    }
    return out;
  }

  /** Forces the generic NA kernel (tests compare the two paths). */
  synchronized Tensor neighborhoodAttention2dGeneric(Tensor qkv, Tensor rpb, NaParams params) {
    enter();
    int[] s = qkv.shape();
    int c = s[3] / 3;
    int headDim = c / params.heads();
    long h = s[1];
    long w = s[2];
    CudaTensor out = newTensor("na-generic", s[0], s[1], s[2], c);
    NaLaunchParams p = new NaLaunchParams(ptr(qkv, "na"), rpb == null ? DevicePtr.NULL : ptr(rpb, "na"), out.ptr("na"),
        s[0], h, w, params.heads(), headDim, params.kernel(), params.dilation(), h * w * 3 * c, w * 3 * c, 3L * c,
        h * w * c, w * c, c, (float) (1.0 / Math.sqrt(headDim)));
    long blocks = ceilDiv((long) s[0] * params.heads() * h * w, KernelCatalog.NA_REF_WARPS);
    launcher.launch(KernelCatalog.naKernel(KernelCatalog.NaPath.GENERIC, computeType, headDim), new int[] {(int) blocks, 1, 1},
        KernelCatalog.NA_REF_WARPS * 32, 0, () -> "na generic " + Shapes.str(s), Pointer.to(p.toBytes()));
    return out;
  }

  @Override
  public synchronized Tensor pad2d(Tensor x, int padBottom, int padRight) {
    enter();
    Shapes.require(x.rank() == 4 && padBottom >= 0 && padRight >= 0, "pad2d", "need [B,H,W,C] and pads >= 0:", x.shape());
    return padCrop("pad2d", x, x.dim(1) + padBottom, x.dim(2) + padRight);
  }

  @Override
  public synchronized Tensor crop2d(Tensor x, int h, int w) {
    enter();
    Shapes.require(x.rank() == 4 && h > 0 && w > 0 && h <= x.dim(1) && w <= x.dim(2), "crop2d",
        "need [B,H,W,C] and 0 < (" + h + ", " + w + ") <= (H, W):", x.shape());
    return padCrop("crop2d", x, h, w);
  }

  private Tensor padCrop(String op, Tensor x, int oh, int ow) {
    int[] s = x.shape();
    CudaTensor out = newTensor(op, s[0], oh, ow, s[3]);
    launcher.launch1d(KernelCatalog.kernel("pad_crop", computeType), out.numel(),
        () -> op + " " + Shapes.str(s) + " -> " + oh + "x" + ow, Pointer.to(ptr(x, op)), Pointer.to(out.ptr(op)),
        longs(s[0]), longs(s[1]), longs(s[2]), longs(s[3]), longs(oh), longs(ow));
    return out;
  }

  @Override
  public synchronized Tensor meanPool(Tensor x) {
    enter();
    int[] s = x.shape();
    Shapes.require(s.length >= 2, "meanPool", "need [B, ..., C]:", s);
    Shapes.require(s[0] <= 65535, "meanPool", "grid too large for", s);
    int c = s[s.length - 1];
    long n = x.numel() / ((long) s[0] * c);
    CudaTensor out = newTensor("meanPool", s[0], c);
    // reduce.cu mean_pool: a block per (32 channels, batch item)
    launcher.launch(KernelCatalog.kernel("mean_pool", computeType), new int[] {(c + 31) / 32, s[0], 1},
        KernelCatalog.POOL_THREADS, 0, () -> "meanPool " + Shapes.str(s), Pointer.to(ptr(x, "meanPool")),
        Pointer.to(out.ptr("meanPool")), longs(n), longs(c));
    return out;
  }

  @Override
  public synchronized Tensor activation(Tensor x, Activation act) {
    enter();
    CudaTensor out = newTensor("activation", x.shape());
    long n = x.numel();
    launcher.launch1d(KernelCatalog.kernel("activation", computeType), n, () -> "activation " + act + " " + Shapes.str(x.shape()),
        Pointer.to(ptr(x, "activation")), Pointer.to(out.ptr("activation")), longs(n), Pointer.to(new int[] {act.ordinal()}));
    return out;
  }

  @Override
  public synchronized Tensor add(Tensor a, Tensor b) {
    enter();
    Shapes.require(Arrays.equals(a.shape(), b.shape()), "add", "shapes differ:", a.shape(), b.shape());
    CudaTensor out = newTensor("add", a.shape());
    long n = a.numel();
    launcher.launch1d(KernelCatalog.kernel("add", computeType), n, () -> "add " + Shapes.str(a.shape()),
        Pointer.to(ptr(a, "add")), Pointer.to(ptr(b, "add")), Pointer.to(out.ptr("add")), longs(n));
    return out;
  }

  @Override
  public synchronized Tensor resizeBilinear(Tensor x, int outH, int outW, boolean alignCorners) {
    enter();
    int[] s = x.shape();
    Shapes.require(s.length == 4 && outH > 0 && outW > 0, "resizeBilinear", "need [B,H,W,C] and a positive size:", s);
    CudaTensor out = newTensor("resizeBilinear", s[0], outH, outW, s[3]);
    DevicePtr in = ptr(x, "resize"), o = out.ptr("resize");
    int vec = 8; // channels per thread: the widest that divides C and keeps every pixel's row aligned
    while (vec > 1 && (s[3] % vec != 0 || in.address() % ((long) vec * computeType.bytes()) != 0
        || o.address() % ((long) vec * computeType.bytes()) != 0)) {
      vec /= 2;
    }
    launcher.launch1d(KernelCatalog.kernel("resize_bilinear", computeType), out.numel() / vec,
        () -> "resizeBilinear " + Shapes.str(s) + " -> " + outH + "x" + outW, Pointer.to(in), Pointer.to(o),
        longs(s[0]), longs(s[1]), longs(s[2]), longs(s[3]), longs(outH), longs(outW),
        Pointer.to(new int[] {alignCorners ? 1 : 0}), Pointer.to(new int[] {vec}));
    return out;
  }

  @Override
  public synchronized ClassMaps classMaps(Tensor scores, int midH, int midW, int[] outH, int[] outW,
      boolean withProbabilities) {
    enter();
    final String op = "classMaps";
    int[] s = scores.shape();
    ClassMaps.requireArguments(s, midH, midW, outH, outW);
    DevicePtr in = ptr(scores, op);
    long perImage = (long) s[1] * s[2] * s[3] * computeType.bytes();
    long[] first = new long[s[0] + 1]; // image i's pixels start at first[i] in the flat outputs
    for (int i = 0; i < s[0]; i++) {
      first[i + 1] = first[i] + (long) outH[i] * outW[i];
    }
    Shapes.require(first[s[0]] <= Integer.MAX_VALUE - 8, op, first[s[0]] + " pixels in all: too many for one batch");
    int[][] classes = new int[s[0]][];
    float[][] probabilities = withProbabilities ? new float[s[0]][] : null;
    DeviceBuffer labels = pool.acquire(first[s[0]] * 4, "classMaps labels");
    DeviceBuffer top = withProbabilities ? pool.acquire(first[s[0]] * 4, "classMaps probabilities") : null;
    // Classes per lane step: 2 (a 4- or 8-byte pair; every pixel's scores are aligned to it when C is even), else 1.
    // Lanes per pixel: 8 while C / vec <= 128 (UperNet's 150 classes: 75 pairs, 10 steps a lane), 16 up to 256,
    // else 32.
    int vec = s[3] % 2 == 0 ? 2 : 1;
    int lanes = s[3] / vec <= 128 ? 8 : s[3] / vec <= 256 ? 16 : 32;
    try {
      for (int i = 0; i < s[0]; i++) { // a launch per image (each has its own size), all queued before any download
        int image = i;
        ClassMapLaunchParams p = new ClassMapLaunchParams(in.offset(i * perImage), labels.ptr().offset(first[i] * 4),
            top == null ? DevicePtr.NULL : top.ptr().offset(first[i] * 4), s[1], s[2], s[3], midH, midW, outH[i],
            outW[i], lanes, vec);
        launcher.launch1d(KernelCatalog.kernel("class_map", computeType), (first[i + 1] - first[i]) * lanes,
            () -> "classMaps scores " + Shapes.str(s) + " image " + image + " -> " + midH + "x" + midW + " -> "
                + outH[image] + "x" + outW[image], Pointer.to(p.toBytes()));
      }
      for (int i = 0; i < s[0]; i++) {
        classes[i] = new int[(int) (first[i + 1] - first[i])];
        if (top != null) {
          probabilities[i] = new float[classes[i].length];
        }
      }
      // one download for the batch (a sync per staging chunk, not per image), each piece split among the images
      int total = (int) first[s[0]];
      copyOut(labels.ptr(), total, (b, off, len) -> forEachImage(first, off, len,
          (i, from, at, n) -> b.asIntBuffer().get(from, classes[i], at, n)));
      if (top != null) {
        copyOut(top.ptr(), total, (b, off, len) -> forEachImage(first, off, len,
            (i, from, at, n) -> b.asFloatBuffer().get(from, probabilities[i], at, n)));
      }
    } finally {
      pool.release(labels);
      if (top != null) {
        pool.release(top);
      }
    }
    return new ClassMaps(classes, probabilities);
  }

  @Override
  public synchronized Tensor batchNorm(Tensor x, Tensor mean, Tensor var, Tensor gamma, Tensor beta, float eps, boolean relu) {
    enter();
    int c = x.dim(-1);
    for (Tensor v : new Tensor[] {mean, var}) {
      Shapes.require(v != null, "batchNorm", "mean and var are required for", x.shape());
      requireVector(v, c, "batchNorm", "running stats");
    }
    requireVector(gamma, c, "batchNorm", "gamma");
    requireVector(beta, c, "batchNorm", "beta");
    CudaTensor out = newTensor("batchNorm", x.shape());
    long n = x.numel();
    launcher.launch1d(KernelCatalog.kernel("batch_norm", computeType), n, () -> "batchNorm " + Shapes.str(x.shape()),
        Pointer.to(ptr(x, "batchNorm")), Pointer.to(ptr(mean, "batchNorm")), Pointer.to(ptr(var, "batchNorm")),
        Pointer.to(gamma == null ? DevicePtr.NULL : ptr(gamma, "batchNorm")),
        Pointer.to(beta == null ? DevicePtr.NULL : ptr(beta, "batchNorm")), Pointer.to(out.ptr("batchNorm")),
        longs(n), longs(c), Pointer.to(new float[] {eps}), Pointer.to(new int[] {relu ? 1 : 0}));
    return out;
  }

  @Override
  public synchronized Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
    enter();
    int[] s = x.shape();
    Shapes.require(s.length == 4 && outH > 0 && outW > 0, "adaptiveAvgPool2d", "need [B,H,W,C] and a positive size:", s);
    CudaTensor out = newTensor("adaptiveAvgPool2d", s[0], outH, outW, s[3]);
    launcher.launch1d(KernelCatalog.kernel("adaptive_avg_pool", computeType), out.numel(),
        () -> "adaptiveAvgPool2d " + Shapes.str(s) + " -> " + outH + "x" + outW, Pointer.to(ptr(x, "pool")),
        Pointer.to(out.ptr("pool")), longs(s[0]), longs(s[1]), longs(s[2]), longs(s[3]), longs(outH), longs(outW));
    return out;
  }

  @Override
  public synchronized Tensor concatLast(Tensor... xs) {
    enter();
    Shapes.require(xs.length > 0, "concatLast", "needs at least one tensor");
    int[] lead = Arrays.copyOf(xs[0].shape(), xs[0].rank() - 1);
    long total = 0;
    for (Tensor t : xs) {
      Shapes.require(Arrays.equals(Arrays.copyOf(t.shape(), t.rank() - 1), lead) && t.rank() == lead.length + 1,
          "concatLast", "leading axes differ:", xs[0].shape(), t.shape());
      total += t.dim(-1);
    }
    int[] os = Arrays.copyOf(lead, lead.length + 1);
    os[lead.length] = (int) total;
    CudaTensor out = newTensor("concatLast", os);
    long rows = Shapes.numel(lead);
    long off = 0;
    for (Tensor t : xs) {
      long cw = t.dim(-1);
      launcher.launch1d(KernelCatalog.kernel("concat_slice", computeType), rows * cw, () -> "concatLast -> " + Shapes.str(os),
          Pointer.to(ptr(t, "concatLast")), Pointer.to(out.ptr("concatLast")), longs(rows), longs(cw), longs(total), longs(off));
      off += cw;
    }
    return out;
  }

  // ---- profiling (benchmarks) ----------------------------------------------------------------------

  /** Records the device time of every kernel launched from now on; see {@link #stopKernelProfile}. */
  public synchronized void startKernelProfile() {
    enter();
    launcher.startProfile();
  }

  /** Device milliseconds and launch count per "kernel | shapes" since {@link #startKernelProfile}. */
  public synchronized java.util.Map<String, double[]> stopKernelProfile() {
    enter();
    sync("profile");
    return launcher.stopProfile();
  }

  // ---- lifetime ---------------------------------------------------------------------------------

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    device.makeCurrent();
    cuStreamSynchronize(stream);
    pool.close();
    staging.close();
    cuStreamDestroy(stream);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private void enter() {
    if (closed) {
      throw new IllegalStateException("CUDA backend is closed");
    }
    device.makeCurrent();
  }

  private CudaTensor newTensor(String op, int... shape) {
    long bytes = Math.max(1, Shapes.numel(shape)) * computeType.bytes();
    return new CudaTensor(this, pool.acquire(bytes, op + " " + Shapes.str(shape)), shape, computeType);
  }

  private CudaTensor own(Tensor t, String op) {
    if (!(t instanceof CudaTensor ct) || t.backend() != this) {
      throw new IllegalArgumentException(op + ": tensor " + t + " does not belong to this CUDA backend");
    }
    return ct;
  }

  private DevicePtr ptr(Tensor t, String op) {
    return own(t, op).ptr(op);
  }

  private static void requireVector(Tensor t, int n, String op, String what) {
    if (t != null) {
      Shapes.require(t.numel() == n, op, what + " must have " + n + " elements, got", t.shape());
    }
  }

  private static Pointer longs(long v) {
    return Pointer.to(new long[] {v});
  }

  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
