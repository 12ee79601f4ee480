package io.vicinity.udfs.gpu;

import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cuda.CudaBackend;
import io.vicinity.udfs.dinat.DinatConfig;
import io.vicinity.udfs.dinat.DinatModel;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.image.PillowResize;
import io.vicinity.udfs.image.ResampleFilter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Whole-model throughput of DiNAT on the CUDA backend (bf16), for scripts/bench/run_device.sh:
 * (1) from preprocessed pixels already on the GPU, (2) from decoded uint8 RGB images in direct host buffers,
 * resized on the GPU as Pillow does (fromHostBytes with a ByteResample per image), (3) from resized uint8 images
 * (the job's path for images already the model's size), then a per-kernel device-time breakdown of one forward.
 * Each timed iteration is one forward of the whole batch including the download of pooled features and
 * logits (which synchronises). Run: java -cp ... io.vicinity.udfs.gpu.DinatBenchmark MODEL_DIR [batch] [iters]
 */
public final class DinatBenchmark {
  static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  static final float[] STD = {0.229f, 0.224f, 0.225f};
  static final int SIZE = 224;
  /** Decoded source size for the resizing uint8 path (resized to 224 on the GPU). */
  static final int SOURCE = 512;

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    if (args.length > 3 && args[3].equals("graphs")) {
      graphs(dir, args[1], Integer.parseInt(args[2]));
      return;
    }
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    int iters = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    try (CudaBackend gpu = CudaBackend.create(0, DType.BF16);
        HfModelDir hf = HfModelDir.open(dir);
        DinatModel model = DinatModel.load(hf, gpu)) {
      DinatConfig cfg = model.config();
      double gflop = flopsPerImage(cfg, SIZE, model.hasClassifier() ? model.labels().size() : 0) / 1e9;
      System.out.printf("[model-bench] %s; %s; batch %d, %dpx, %.2f GFLOP/image (multiply-add = 2)%n", gpu.describe(),
          dir.getFileName(), batch, SIZE, gflop);

      Random rnd = new Random(1);
      float[] pixels = new float[batch * SIZE * SIZE * 3];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (float) rnd.nextGaussian();
      }
      Tensor x = gpu.fromHost(pixels, batch, SIZE, SIZE, 3);

      for (int i = 0; i < 3; i++) {
        model.forward(x);
      }
      long allocs = gpu.allocCalls();
      double tensorMs = median(iters, () -> model.forward(x));
      long allocsTensor = gpu.allocCalls() - allocs;
      report("preprocessed bf16 tensor on GPU", batch, tensorMs, gflop);

      // Decoded images resized on the GPU (the job's path for photos): Pillow's bicubic resize as one ByteResample
      // per image, then the preprocessor's table.
      float[] values = channelValues();
      List<ByteBuffer> decoded = directImages(rnd, batch, SOURCE * SOURCE * 3);
      List<ByteResample> resizes = Collections.nCopies(batch,
          PillowResize.plan(SOURCE, SOURCE, SIZE, SIZE, ResampleFilter.BICUBIC, 0, 0, SIZE, SIZE));
      Runnable u8 = () -> model.forward(decoded, resizes, values, SIZE, SIZE);
      u8.run();
      allocs = gpu.allocCalls();
      double u8Ms = median(iters, u8);
      long allocsU8 = gpu.allocCalls() - allocs;
      report("decoded uint8 " + SOURCE + "x" + SOURCE + " images in direct host buffers, resized on the GPU -> forward",
          batch, u8Ms, gflop);
      double resizeMs = median(iters, () -> gpu.fromHostBytes(decoded, resizes, values, batch, SIZE, SIZE, 3).close());
      System.out.printf("[model-bench] of which the upload and Pillow resize alone (fromHostBytes): %.2f ms%n",
          resizeMs);
      System.out.printf("[model-bench] cuMemAlloc calls during the timed loops: %d (tensor), %d (uint8); pool reserved %.2f GB%n",
          allocsTensor, allocsU8, gpu.reservedBytes() / 1e9);

      // The Spark job's path: resized uint8 RGB images in direct (off-heap) buffers, one per image, mapped to
      // the model's input values on the device (fromHostBytes) with the preprocessor's table.
      List<ByteBuffer> direct = directImages(rnd, batch, SIZE * SIZE * 3);
      List<ByteResample> copies = Collections.nCopies(batch, ByteResample.crop(SIZE, SIZE, 0, 0, SIZE, SIZE));
      double directMs = median(iters, () -> model.forward(direct, copies, values, SIZE, SIZE));
      report("uint8 resized images in direct host buffers -> forward(List<ByteBuffer>, ...) (the job's path)",
          batch, directMs, gflop);
      double uploadMs = median(iters, () -> gpu.fromHostBytes(direct, values, batch, SIZE, SIZE, 3).close());
      System.out.printf("[model-bench] of which the upload alone (fromHostBytes of the direct buffers): %.2f ms%n",
          uploadMs);

      // One forward with an event pair around every launch: where the device time goes.
      gpu.synchronize();
      long t0 = System.nanoTime();
      gpu.startKernelProfile();
      model.forward(x);
      Map<String, double[]> prof = gpu.stopKernelProfile();
      double wallMs = (System.nanoTime() - t0) / 1e6;
      breakdown(prof, wallMs);
      x.close();
    }
  }

  /** One direct buffer of random RGB bytes per image, as the job's Arrow memory holds them. */
  static List<ByteBuffer> directImages(Random rnd, int batch, int bytesPerImage) {
    List<ByteBuffer> out = new ArrayList<>(batch);
    byte[] image = new byte[bytesPerImage];
    for (int i = 0; i < batch; i++) {
      rnd.nextBytes(image);
      out.add(ByteBuffer.allocateDirect(bytesPerImage).put(image).flip());
    }
    return out;
  }

  /** The ImageNet rescale + normalize as a per-channel table of byte values (what the preprocessor gives). */
  static float[] channelValues() {
    float[] values = new float[3 * 256];
    for (int c = 0; c < 3; c++) {
      for (int v = 0; v < 256; v++) {
        values[c * 256 + v] = ((float) (v / 255.0) - MEAN[c]) / STD[c];
      }
    }
    return values;
  }

  /**
   * Eager forward(Tensor) against CUDA graph replay (forwardGraphed) from the same bf16 tensor on the GPU, per
   * batch size in {@code batches} (comma-separated); both include the download of pooled features and logits.
   * Two alternating rounds of medians; small batches get more iterations (iters * 64 / batch, at least iters).
   * Run: java -cp ... io.vicinity.udfs.gpu.DinatBenchmark MODEL_DIR 256,8 ITERS graphs
   */
  static void graphs(Path dir, String batches, int iters) {
    try (CudaBackend gpu = CudaBackend.create(0, DType.BF16);
        HfModelDir hf = HfModelDir.open(dir);
        DinatModel model = DinatModel.load(hf, gpu)) {
      double gflop = flopsPerImage(model.config(), SIZE, model.hasClassifier() ? model.labels().size() : 0) / 1e9;
      System.out.printf("[graph-bench] %s; %s; %dpx; eager forward(Tensor) vs forwardGraphed(Tensor)%n",
          gpu.describe(), dir.getFileName(), SIZE);
      for (String bs : batches.split(",")) {
        int batch = Integer.parseInt(bs.trim());
        int n = Math.max(iters, iters * 64 / batch);
        Random rnd = new Random(batch);
        float[] pixels = new float[batch * SIZE * SIZE * 3];
        for (int i = 0; i < pixels.length; i++) {
          pixels[i] = (float) rnd.nextGaussian();
        }
        Tensor x = gpu.fromHost(pixels, batch, SIZE, SIZE, 3);
        for (int i = 0; i < 3; i++) {
          model.forward(x);
        }
        long live = gpu.liveBytes();
        long t0 = System.nanoTime();
        DinatModel.Output g = model.forwardGraphed(x);
        double captureMs = (System.nanoTime() - t0) / 1e6;
        long graphBytes = gpu.liveBytes() - live;
        DinatModel.Output e = model.forward(x);
        boolean same = Arrays.deepEquals(e.pooled(), g.pooled()) && Arrays.deepEquals(e.logits(), g.logits());
        for (int i = 0; i < 3; i++) {
          model.forwardGraphed(x);
        }
        System.out.printf("[graph-bench] batch %d: capture (warm-up + capture + instantiate + first replay) %.1f ms, "
            + "graph holds %.2f GB, replay == eager bit for bit: %b, %d iterations per median%n", batch, captureMs,
            graphBytes / 1e9, same, n);
        long allocs = gpu.allocCalls();
        for (int round = 1; round <= 2; round++) {
          double eager = median(n, () -> model.forward(x));
          double graph = median(n, () -> model.forwardGraphed(x));
          report("round " + round + " batch " + batch + " eager", batch, eager, gflop);
          report("round " + round + " batch " + batch + " graph replay", batch, graph, gflop);
          System.out.printf("[graph-bench] round %d batch %d: eager %.3f ms, graph %.3f ms, graph/eager %.3f%n", round,
              batch, eager, graph, graph / eager);
        }
        System.out.printf("[graph-bench] batch %d: cuMemAlloc calls during the timed loops: %d%n", batch,
            gpu.allocCalls() - allocs);
        model.closeGraphs();
        System.out.printf("[graph-bench] batch %d: live bytes after closeGraphs - before capture: %d%n", batch,
            gpu.liveBytes() - live);
        x.close();
      }
    }
  }

  static double median(int iters, Runnable r) {
    double[] ms = new double[iters];
    for (int i = 0; i < iters; i++) {
      long t0 = System.nanoTime();
      r.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms[iters / 2];
  }

  static void report(String what, int batch, double ms, double gflop) {
    System.out.printf("[model-bench] %-45s | %8.2f ms/batch | %8.0f images/s | %6.1f TFLOP/s%n", what, ms,
        batch / (ms / 1e3), batch * gflop / (ms / 1e3) / 1e3);
  }

  /** Sums device time per kernel family (and per GEMM shape) and prints the largest entries. */
  static void breakdown(Map<String, double[]> prof, double wallMs) {
    Map<String, double[]> byFamily = new java.util.TreeMap<>();
    double total = 0;
    int launches = 0;
    for (var e : prof.entrySet()) {
      String kernel = e.getKey().substring(0, e.getKey().indexOf(" | "));
      String family = kernel;
      if (kernel.startsWith("vc_gemm")) {
        family = kernel + (e.getKey().contains("conv2d") ? " (conv2d)" : " (linear)");
      }
      byFamily.computeIfAbsent(family, k -> new double[2])[0] += e.getValue()[0];
      byFamily.get(family)[1] += e.getValue()[1];
      total += e.getValue()[0];
      launches += (int) e.getValue()[1];
    }
    System.out.printf("[model-bench] profiled forward: %d launches, %.2f ms kernel time, %.2f ms wall (with events)%n",
        launches, total, wallMs);
    List<Map.Entry<String, double[]>> fam = new ArrayList<>(byFamily.entrySet());
    fam.sort((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]));
    for (var e : fam) {
      System.out.printf("[model-bench]   family %-40s %8.2f ms %5.1f%% (%d launches)%n", e.getKey(), e.getValue()[0],
          100 * e.getValue()[0] / total, (int) e.getValue()[1]);
    }
    List<Map.Entry<String, double[]>> all = new ArrayList<>(prof.entrySet());
    all.sort((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0]));
    for (var e : all.subList(0, Math.min(25, all.size()))) {
      System.out.printf("[model-bench]   %8.3f ms x%-3d %s%n", e.getValue()[0], (int) e.getValue()[1], e.getKey());
    }
  }

  /** Forward FLOPs of one image (2 per multiply-add): stem, layers (projections, MLP, NA), downsamplers, head. */
  static double flopsPerImage(DinatConfig cfg, int size, int labels) {
    int c0 = cfg.dim(0);
    double f = 0;
    long h = size / 2;
    f += 2.0 * h * h * 9 * 3 * (c0 / 2); // stem conv 1: 3 -> C/2, 3x3 stride 2
    h /= 2;
    f += 2.0 * h * h * 9 * (c0 / 2) * c0; // stem conv 2
    int k = cfg.kernelSize();
    for (int s = 0; s < cfg.depths().length; s++) {
      long n = h * h;
      long c = cfg.dim(s);
      long m = cfg.mlpDim(s);
      double layer = 2.0 * n * c * (3 * c) + 2.0 * n * c * c + 2.0 * 2 * n * c * m + 4.0 * n * k * k * c;
      f += cfg.depths()[s] * layer;
      if (s + 1 < cfg.depths().length) {
        h /= 2;
        f += 2.0 * h * h * 9 * c * (2 * c); // downsampler conv 3x3 stride 2, C -> 2C
      }
    }
    f += 2.0 * cfg.numFeatures() * labels;
    return f;
  }
}
