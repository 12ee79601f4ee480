package io.vicinity.udfs.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vicinity.kernels.DType;
import io.vicinity.kernels.cuda.CudaAvailability;
import io.vicinity.kernels.cuda.CudaBackend;
import io.vicinity.udfs.DinatParity;
import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.Precision;
import io.vicinity.udfs.dinat.DinatModel;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.testing.Compare;
import io.vicinity.udfs.testing.DirectPixelMemory;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Npy;
import io.vicinity.udfs.testing.Layouts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The whole DiNAT model on the CUDA backend against Hugging Face's float64 outputs (the same fixtures and
 * parity rule as DinatParityTest): fp32 within 1e-4 relative, bf16 within 1e-2, per image and for the
 * image-dependent part. Skipped, with the reason, where the CUDA backend cannot run.
 */
class DinatCudaParityTest {
  static final double BF16_TOLERANCE = 1e-2;
  /**
   * The image-dependent part in bf16: Hugging Face's own model cast to bf16 misses it by 0.0137 to 0.0244 on
   * these fixtures (scripts/bench/bf16_reference_error.py, docs/gpu-notes.md), so 1e-2 is out of reach of
   * bf16 storage itself; 3e-2 still fails a wrong attention or layout (those give errors of order 1).
   */
  static final double BF16_CENTERED_TOLERANCE = 3e-2;

  static CudaBackend gpuOrSkip(DType dtype) {
    // Debug mode: pool blocks are NaN-poisoned and every launch is checked, so an unwritten element fails.
    System.setProperty(CudaBackend.DEBUG_PROPERTY, "true");
    CudaAvailability a = CudaBackend.availability();
    assumeTrue(a.available(), () -> "CUDA backend not available: " + a);
    return CudaBackend.create(0, dtype);
  }

  @ParameterizedTest
  @CsvSource({
    "k7_classifier_safetensors, F32", "k3_layerscale_sharded, F32", "k5_model_bin, F32",
    "k7_classifier_safetensors, BF16", "k3_layerscale_sharded, BF16", "k5_model_bin, BF16"
  })
  void modelMatchesHuggingFace(String name, DType dtype) throws Exception {
    Path dir = Fixtures.dir("fixtures/dinat/" + name);
    Npy.Array pv = Npy.read(dir.resolve("pixel_values.npy"));
    int n = pv.shape()[0];
    int h = pv.shape()[2];
    int w = pv.shape()[3];
    float[] pixels = Layouts.toChannelsLast(pv.floats(), n, 3, h, w);
    double tol = dtype == DType.F32 ? DinatParity.TOLERANCE : BF16_TOLERANCE;
    double centeredTol = dtype == DType.F32 ? DinatParity.TOLERANCE : BF16_CENTERED_TOLERANCE;
    try (CudaBackend gpu = gpuOrSkip(dtype)) {
      long liveBefore = gpu.liveBytes();
      try (HfModelDir model = HfModelDir.open(dir.resolve("model"));
          DinatModel dinat = DinatModel.load(model, gpu)) {
        DinatModel.Output out = dinat.forward(pixels, n, h, w);
        double[][] pooledRef = Compare.rows(Npy.read(dir.resolve("pooled.npy")).doubles(), n);
        report(name, dtype, "pooled", out.pooled(), pooledRef);
        DinatParity.assertRows(name + " " + dtype + " pooled", out.pooled(), pooledRef, tol, centeredTol);
        if (dinat.hasClassifier()) {
          double[][] ref = Compare.rows(Npy.read(dir.resolve("logits.npy")).doubles(), n);
          report(name, dtype, "logits", out.logits(), ref);
          DinatParity.assertRows(name + " " + dtype + " logits", out.logits(), ref, tol, centeredTol);
        }
      }
      assertEquals(liveBefore, gpu.liveBytes(), "device bytes leaked by load + forward + close");
    }
  }

  /**
   * Files -> results with backend "cuda" at each --precision the job offers, as ImageInferenceParityTest does
   * on the CPU: the path the job takes, with the same tolerances as the model-level test above.
   */
  @ParameterizedTest
  @CsvSource({
    "k7_classifier_safetensors, fp32", "k3_layerscale_sharded, fp32", "k5_model_bin, fp32",
    "k7_classifier_safetensors, bf16", "k3_layerscale_sharded, bf16", "k5_model_bin, bf16"
  })
  void imageInferenceOnCudaMatchesHuggingFace(String name, String precision) throws Exception {
    DType dtype = Precision.computeType(precision);
    gpuOrSkip(dtype).close();
    double tol = dtype == DType.F32 ? DinatParity.TOLERANCE : BF16_TOLERANCE;
    double centeredTol = dtype == DType.F32 ? DinatParity.TOLERANCE : BF16_CENTERED_TOLERANCE;
    Path dir = Fixtures.dir("fixtures/dinat/" + name);
    List<ImageInput> inputs = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("images"))) {
      for (Path p : files.sorted().toList()) {
        inputs.add(new ImageInput(p.getFileName().toString(), Files.readAllBytes(p)));
      }
    }
    InferenceOptions options = new InferenceOptions(3, true, 2, "cuda", precision);
    try (ImageInference inference = ImageInference.open(dir.resolve("model"), options)) {
      assertEquals(true, inference.backendDescription().contains(dtype.name()), inference.backendDescription());
      List<ImageResult> results = inference.run(inputs);
      int n = results.size();
      assertEquals(inputs.size(), n);
      float[][] pooled = new float[n][];
      float[][] logits = new float[n][];
      for (int i = 0; i < n; i++) {
        assertNull(results.get(i).error(), results.get(i).error());
        pooled[i] = results.get(i).embedding();
        logits[i] = results.get(i).logits();
      }
      double[][] pooledRef = Compare.rows(Npy.read(dir.resolve("pooled.npy")).doubles(), n);
      report(name, dtype, "files->pooled", pooled, pooledRef);
      DinatParity.assertRows(name + " cuda " + precision + " files->pooled", pooled, pooledRef, tol, centeredTol);
      if (inference.hasClassifier()) {
        double[][] ref = Compare.rows(Npy.read(dir.resolve("logits.npy")).doubles(), n);
        report(name, dtype, "files->logits", logits, ref);
        DinatParity.assertRows(name + " cuda " + precision + " files->logits", logits, ref, tol, centeredTol);
      }
    }
  }

  /**
   * The job's path on the GPU: images decoded into off-heap memory wait as decoded (all but the one already the
   * model's size) and are resized on the GPU; the outputs equal those of the images resized and normalised on
   * the host, bit for bit (the same bytes, the same table, the same forward pass).
   */
  @ParameterizedTest
  @CsvSource({"fp32", "bf16"})
  void imagesResizedOnTheGpuGiveTheHostResizedOutputsExactly(String precision) throws Exception {
    gpuOrSkip(Precision.computeType(precision)).close();
    Path dir = Fixtures.dir("fixtures/dinat/k7_classifier_safetensors");
    List<ImageInput> inputs = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("images"))) {
      for (Path p : files.sorted().toList()) {
        inputs.add(new ImageInput(p.getFileName().toString(), Files.readAllBytes(p)));
      }
    }
    DirectPixelMemory memory = new DirectPixelMemory(Integer.MAX_VALUE);
    InferenceOptions options = new InferenceOptions(3, true, 4, "cuda", precision);
    try (ImageInference inference = ImageInference.open(dir.resolve("model"), options)) {
      List<ImageResult> heap = inference.run(inputs);
      List<ImagePipeline.Prepared> prepared = new ArrayList<>();
      int resizedOnGpu = 0;
      for (ImageInput in : inputs) {
        ImagePipeline.Prepared p = inference.decode(in, memory).prepared();
        resizedOnGpu += p.resample() != null ? 1 : 0;
        prepared.add(p);
      }
      assertEquals(inputs.size() - 1, resizedOnGpu, "images waiting as decoded");
      List<ImageResult> offHeap = inference.infer(prepared);
      prepared.forEach(p -> p.offHeap().close());
      for (int i = 0; i < inputs.size(); i++) {
        assertNull(offHeap.get(i).error(), offHeap.get(i).error());
        assertArrayEquals(heap.get(i).embedding(), offHeap.get(i).embedding(), 0f, inputs.get(i).path());
        assertArrayEquals(heap.get(i).logits(), offHeap.get(i).logits(), 0f, inputs.get(i).path());
      }
    }
    assertEquals(0, memory.open(), "every image's memory closed");
  }

  private static void report(String name, DType dtype, String what, float[][] actual, double[][] ref) {
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      worst = Math.max(worst, Compare.maxRelativeError(actual[i], ref[i]));
    }
    System.out.printf("[gpu-parity] %s %s %s: worst row %.3g, image-dependent part %.3g%n", name, dtype, what, worst,
        Compare.centeredRelativeError(actual, ref));
  }
}
