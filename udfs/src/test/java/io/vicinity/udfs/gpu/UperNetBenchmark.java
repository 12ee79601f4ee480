package io.vicinity.udfs.gpu;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cpu.CpuBackend;
import io.vicinity.kernels.cuda.CudaBackend;
import io.vicinity.udfs.dinat.DinatConfig;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.segment.UperNetSegmenter;
import io.vicinity.udfs.testing.Layouts;
import io.vicinity.udfs.testing.Npy;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.IntConsumer;

/**
 * Throughput of UperNet + DiNAT semantic segmentation on the CUDA backend (bf16), for scripts/bench/run_device.sh
 * (step {@code segment}); the model directory is the one scripts/bench/upernet_anchor.py writes, so ours and the
 * PyTorch anchor time the same weights. Per batch size, each timed iteration is one whole batch on one of three
 * rotating input tensors already on the GPU (bf16), ended by a stream synchronize; 3 warm-ups, median of
 * {@code iters} wall-clock iterations:
 * <ul>
 *   <li>"logits at input size": backbone -> head -> bilinear upsampling to the input size on the GPU, the output
 *       Hugging Face's {@code UperNetForSemanticSegmentation(...).logits} is (what the anchor times);
 *   <li>"backbone only": the DiNAT feature maps (for the backbone / head split);
 *   <li>"UperNetSegmenter.classMaps": the production path, each image's label map at its own size (here the
 *       input size) on the host: the network, then both resizes and the arg-max on the GPU, then the download of
 *       the maps; once with labels only, once with each pixel's probability as well.
 * </ul>
 * Then one profiled forward (event pair around every launch) split into backbone and head, and, if the directory
 * holds {@code check_pixels.npy} / {@code check_logits.npy} (the anchor's float32 reference with the exact gather
 * NA), how far our bf16 logits and our production label map are from it.
 *
 * <p>The head is reached through reflection (UperNetSegmenter keeps it private; {@code forward} always
 * downloads): a benchmark-only shortcut, so the GPU-side logits can be timed without a host copy.
 *
 * <p>Run: java -cp ... io.vicinity.udfs.gpu.UperNetBenchmark MODEL_DIR [batches=8,16] [iters=20] [size=512]
 * [backend=cuda|cpu] (cpu: float32 CPU backend, a dry run of the code paths on small inputs).
 */
public final class UperNetBenchmark {
  private static final String P = "[seg-bench] ";

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int[] batches = Arrays.stream((args.length > 1 ? args[1] : "8,16").split(",")).mapToInt(Integer::parseInt).toArray();
    int iters = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int size = args.length > 3 ? Integer.parseInt(args[3]) : 512;
    boolean cpu = args.length > 4 && args[4].equals("cpu");
    Backend backend = cpu ? new CpuBackend() : CudaBackend.create(0, DType.BF16);
    CudaBackend gpu = backend instanceof CudaBackend c ? c : null;
    try (backend;
        HfModelDir hf = HfModelDir.open(dir);
        UperNetSegmenter model = UperNetSegmenter.load(hf, backend)) {
      Head head = Head.of(model);
      DinatConfig cfg = model.backbone().config();
      int classes = model.labels().size();
      double backboneGflop = DinatBenchmark.flopsPerImage(cfg, size, 0) / 1e9;
      double headGflop = headFlops(model.backbone().channels(), hf.configReader().getInt("hidden_size", 512),
          hf.configReader().getIntArray("pool_scales", new int[] {1, 2, 3, 6}), classes, size) / 1e9;
      System.out.printf("%s%s; %s; %dx%d, %d classes; %.1f GFLOP/image (backbone %.1f, head %.1f; multiply-add = 2)%n",
          P, backend.describe(), dir.getFileName(), size, size, classes, backboneGflop + headGflop, backboneGflop,
          headGflop);

      for (int batch : batches) {
        try {
          benchBatch(backend, gpu, model, head, batch, size, iters, backboneGflop + headGflop);
        } catch (RuntimeException | OutOfMemoryError e) {
          System.out.printf("%sbatch %d FAILED: %s%n", P, batch, e);
        }
      }
      crossCheck(backend, model, head, dir);
    }
  }

  private static void benchBatch(Backend backend, CudaBackend gpu, UperNetSegmenter model, Head head, int batch,
      int size, int iters, double gflop) {
    Random rnd = new Random(batch);
    Tensor[] xs = new Tensor[3];
    for (int i = 0; i < xs.length; i++) {
      float[] pixels = new float[batch * size * size * 3];
      for (int j = 0; j < pixels.length; j++) {
        pixels[j] = (float) rnd.nextGaussian();
      }
      xs[i] = backend.fromHost(pixels, batch, size, size, 3);
    }
    try {
      IntConsumer full = i -> {
        try (Arena a = backend.openArena("bench.full")) {
          logitsAtInputSize(backend, model, head, xs[i % xs.length]);
          sync(gpu);
        }
      };
      IntConsumer backboneOnly = i -> {
        try (Arena a = backend.openArena("bench.backbone")) {
          model.backbone().features(backend, xs[i % xs.length]);
          sync(gpu);
        }
      };
      int[] sizes = new int[batch];
      Arrays.fill(sizes, size);
      IntConsumer labels = i -> model.classMaps(xs[i % xs.length], sizes, sizes, false);
      IntConsumer labelsAndProbabilities = i -> model.classMaps(xs[i % xs.length], sizes, sizes, true);

      long allocs = gpu == null ? 0 : gpu.allocCalls();
      double fullMs = median(iters, full);
      long allocsFull = gpu == null ? 0 : gpu.allocCalls() - allocs;
      report("logits at input size, on the GPU", batch, fullMs, gflop);
      double backboneMs = median(iters, backboneOnly);
      report("backbone only (4 feature maps)", batch, backboneMs, Double.NaN);
      System.out.printf("%s  => head + upsampling to %dx%d: %.2f ms/batch (full - backbone), backbone %.1f%%%n", P,
          size, size, fullMs - backboneMs, 100 * backboneMs / fullMs);
      report("UperNetSegmenter.classMaps (label maps -> host)", batch, median(iters, labels), Double.NaN);
      report("  the same with probabilities", batch, median(iters, labelsAndProbabilities), Double.NaN);
      if (gpu != null) {
        System.out.printf("%s  cuMemAlloc calls during the 'logits at input size' loop: %d; pool reserved %.2f GB%n",
            P, allocsFull, gpu.reservedBytes() / 1e9);
        profile(gpu, model, head, xs[0], size, batch);
        gpu.synchronize();
        gpu.startKernelProfile();
        long t0 = System.nanoTime();
        model.classMaps(xs[0], sizes, sizes, false);
        double wallMs = (System.nanoTime() - t0) / 1e6;
        Map<String, double[]> prof = gpu.stopKernelProfile();
        double[] maps = prof.entrySet().stream().filter(e -> e.getKey().startsWith("vc_class_map"))
            .map(Map.Entry::getValue).reduce(new double[2], (a, v) -> new double[] {a[0] + v[0], a[1] + v[1]});
        System.out.printf("%sprofiled classMaps, batch %d: %.2f ms wall, %.2f ms of kernels, of which the label maps "
            + "(vc_class_map) %.2f ms in %d launches%n", P, batch, wallMs, total(prof), maps[0], (int) maps[1]);
        int[] ones = new int[batch];
        Arrays.fill(ones, 1);
        report("classMaps to 1x1 maps (the network, launches, tiny downloads)", batch,
            median(iters, i -> model.classMaps(xs[i % xs.length], ones, ones, false)), Double.NaN);
      }
    } finally {
      for (Tensor x : xs) {
        x.close();
      }
    }
  }

  /** Backbone -> head -> resize to the input size; the result belongs to the caller's arena. */
  static Tensor logitsAtInputSize(Backend backend, UperNetSegmenter model, Head head, Tensor x) {
    List<Tensor> features = model.backbone().features(backend, x);
    Tensor logits = head.forward(backend, features);
    return backend.resizeBilinear(logits, x.dim(1), x.dim(2), false);
  }

  /** One forward with an event pair around every launch, in two parts: backbone, then head + upsampling. */
  private static void profile(CudaBackend gpu, UperNetSegmenter model, Head head, Tensor x, int size, int batch) {
    try (Arena a = gpu.openArena("bench.profile")) {
      gpu.synchronize();
      gpu.startKernelProfile();
      List<Tensor> features = model.backbone().features(gpu, x);
      Map<String, double[]> backbone = gpu.stopKernelProfile();
      gpu.startKernelProfile();
      gpu.resizeBilinear(head.forward(gpu, features), size, size, false);
      Map<String, double[]> rest = gpu.stopKernelProfile();
      double b = total(backbone);
      double h = total(rest);
      System.out.printf("%sprofiled forward, batch %d: kernel time %.2f ms = backbone %.2f ms (%.1f%%) + head and "
          + "upsampling %.2f ms (%.1f%%)%n", P, batch, b + h, b, 100 * b / (b + h), h, 100 * h / (b + h));
      families("backbone", backbone, b + h);
      families("head", rest, b + h);
    }
  }

  static double total(Map<String, double[]> prof) {
    return prof.values().stream().mapToDouble(v -> v[0]).sum();
  }

  /** Device time per kernel family (GEMMs split into convolutions and linear layers), then the top entries. */
  static void families(String part, Map<String, double[]> prof, double all) {
    families(P, part, prof, all);
  }

  /** As above, lines prefixed with {@code prefix} (the calling benchmark's tag). */
  static void families(String prefix, String part, Map<String, double[]> prof, double all) {
    Map<String, double[]> byFamily = new TreeMap<>();
    for (var e : prof.entrySet()) {
      String kernel = e.getKey().substring(0, Math.max(0, e.getKey().indexOf(" | ")));
      String family = kernel.startsWith("vc_gemm")
          ? kernel + (e.getKey().contains("conv2d") ? " (conv2d)" : " (linear)") : kernel;
      double[] f = byFamily.computeIfAbsent(family, k -> new double[2]);
      f[0] += e.getValue()[0];
      f[1] += e.getValue()[1];
    }
    List<Map.Entry<String, double[]>> fam = new ArrayList<>(byFamily.entrySet());
    fam.sort((p, q) -> Double.compare(q.getValue()[0], p.getValue()[0]));
    for (var e : fam) {
      System.out.printf("%s  %-8s %-40s %8.2f ms %5.1f%% (%d launches)%n", prefix, part, e.getKey(), e.getValue()[0],
          100 * e.getValue()[0] / all, (int) e.getValue()[1]);
    }
    List<Map.Entry<String, double[]>> top = new ArrayList<>(prof.entrySet());
    top.sort((p, q) -> Double.compare(q.getValue()[0], p.getValue()[0]));
    for (var e : top.subList(0, Math.min(6, top.size()))) {
      System.out.printf("%s  %-8s %8.3f ms x%-3d %s%n", prefix, part, e.getValue()[0], (int) e.getValue()[1], e.getKey());
    }
  }

  /**
   * Our logits for the anchor's check image against its float32 reference (HF modules, exact gather NA), and
   * the production label map (classMaps at the input size) against the reference's arg-max, when the directory
   * has them.
   */
  private static void crossCheck(Backend backend, UperNetSegmenter model, Head head, Path dir) {
    Path pixelsFile = dir.resolve("check_pixels.npy");
    Path logitsFile = dir.resolve("check_logits.npy");
    if (!Files.isRegularFile(pixelsFile) || !Files.isRegularFile(logitsFile)) {
      System.out.printf("%sno check_pixels.npy / check_logits.npy in %s: no comparison with the reference%n", P, dir);
      return;
    }
    Npy.Array pv = Npy.read(pixelsFile);
    int h = pv.shape()[2];
    int w = pv.shape()[3];
    float[] pixels = Layouts.toChannelsLast(pv.floats(), 1, 3, h, w);
    Npy.Array ref = Npy.read(logitsFile);
    int classes = ref.shape()[1];
    float[] expected = Layouts.toChannelsLast(ref.floats(), 1, classes, h, w);
    float[] got;
    try (Arena a = backend.openArena("bench.check")) {
      got = backend.toHost(logitsAtInputSize(backend, model, head, backend.fromHost(pixels, 1, h, w, 3)));
    }
    compare(got, expected, classes);
    int[] labels = model.classMaps(pixels, 1, h, w, new int[] {h}, new int[] {w}, false).classes()[0];
    int agree = 0;
    for (int p = 0; p < labels.length; p++) {
      agree += labels[p] == argmax(expected, p * classes, classes) ? 1 : 0;
    }
    System.out.printf("%sproduction label map (UperNetSegmenter.classMaps) vs the reference's arg-max, check image: "
        + "%.4f%% of %d pixels agree%n", P, 100.0 * agree / labels.length, labels.length);
  }

  private static void compare(float[] got, float[] expected, int classes) {
    double diff = 0;
    double norm = 0;
    double maxErr = 0;
    double maxRef = 0;
    for (int i = 0; i < got.length; i++) {
      double d = got[i] - expected[i];
      diff += d * d;
      norm += (double) expected[i] * expected[i];
      maxErr = Math.max(maxErr, Math.abs(d));
      maxRef = Math.max(maxRef, Math.abs(expected[i]));
    }
    int pixels = got.length / classes;
    int agree = 0;
    for (int p = 0; p < pixels; p++) {
      agree += argmax(got, p * classes, classes) == argmax(expected, p * classes, classes) ? 1 : 0;
    }
    System.out.printf("%sours vs the anchor's float32 reference, check image: relative L2 %.3g, max abs err / "
        + "max abs %.3g, arg-max label agreement %.4f%% of %d pixels%n", P, Math.sqrt(diff / norm), maxErr / maxRef,
        100.0 * agree / pixels, pixels);
  }

  private static int argmax(float[] v, int off, int n) {
    int best = 0;
    for (int k = 1; k < n; k++) {
      if (v[off + k] > v[off + best]) {
        best = k;
      }
    }
    return best;
  }

  /** Median wall-clock ms of {@code iters} calls of {@code r} (argument: the iteration index) after 3 warm-ups. */
  static double median(int iters, IntConsumer r) {
    for (int i = 0; i < 3; i++) {
      r.accept(i);
    }
    double[] ms = new double[iters];
    for (int i = 0; i < iters; i++) {
      long t0 = System.nanoTime();
      r.accept(i);
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms[iters / 2];
  }

  private static void sync(CudaBackend gpu) {
    if (gpu != null) {
      gpu.synchronize();
    }
  }

  private static void report(String what, int batch, double ms, double gflop) {
    System.out.printf("%sbatch %2d | %-50s | %8.2f ms/batch | %7.1f images/s%s%n", P, batch, what, ms,
        batch / (ms / 1e3), Double.isNaN(gflop) ? "" : String.format(" | %6.1f TFLOP/s", batch * gflop / ms));
  }

  /**
   * Forward FLOPs of the UperNet head for one image (2 per multiply-add): lateral 1x1 convs, PSP 1x1 convs on
   * the pooled maps and the 3x3 bottleneck, 3x3 FPN convs, the 3x3 fpn_bottleneck and the 1x1 classifier.
   */
  static double headFlops(int[] inChannels, int hidden, int[] poolScales, int classes, int size) {
    int levels = inChannels.length;
    long[] hw = new long[levels];
    for (int i = 0; i < levels; i++) {
      long side = size / (4L << i);
      hw[i] = side * side;
    }
    double f = 0;
    for (int i = 0; i < levels - 1; i++) {
      f += 2.0 * hw[i] * inChannels[i] * hidden; // lateral
      f += 2.0 * hw[i] * 9 * hidden * hidden; // fpn conv
    }
    int top = inChannels[levels - 1];
    for (int s : poolScales) {
      f += 2.0 * s * s * top * hidden;
    }
    f += 2.0 * hw[levels - 1] * 9 * (top + (long) poolScales.length * hidden) * hidden; // PSP bottleneck
    f += 2.0 * hw[0] * 9 * (long) levels * hidden * hidden; // fpn_bottleneck
    f += 2.0 * hw[0] * hidden * classes; // classifier
    return f;
  }

  /** UperNetSegmenter's private head and its package-private forward, for timing logits kept on the device. */
  record Head(Object target, Method method) {
    static Head of(UperNetSegmenter model) throws ReflectiveOperationException {
      Field f = UperNetSegmenter.class.getDeclaredField("head");
      f.setAccessible(true);
      Object head = f.get(model);
      Method m = head.getClass().getDeclaredMethod("forward", Backend.class, List.class);
      m.setAccessible(true);
      return new Head(head, m);
    }

    Tensor forward(Backend b, List<Tensor> features) {
      try {
        return (Tensor) method.invoke(target, b, features);
      } catch (java.lang.reflect.InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException(e.getCause());
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
