package io.vicinity.udfs.gpu;

import io.vicinity.udfs.Precision;
import io.vicinity.udfs.segment.SegmentationInferenceTest;
import io.vicinity.udfs.segment.SegmentationOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Image files -> masks on the CUDA backend against Hugging Face's post_process_semantic_segmentation on the
 * float64 model: the CPU backend's check (SegmentationInferenceTest) with the resizes and the arg-max on the GPU
 * (Backend.classMaps). fp32 must give Hugging Face's label at every pixel whose two best reference classes are
 * 1e-4 apart, with the probabilities to the 255 levels' rounding; bf16, whose logits are ~1e-2 off (relative, up
 * to ~0.1 of these fixtures' logits near 5), every pixel 0.25 apart, probabilities within 10 levels. The margin
 * leaves few pixels of the 260-class fixture to compare in bf16 (its median gap is 0.07), so the fraction
 * labelled as Hugging Face does is printed too. Skipped where the CUDA backend cannot run.
 */
class SegmentationCudaTest {
  @ParameterizedTest
  @CsvSource({
    "k3_four_stages_safetensors, fp32, 1e-4, 0.99", "k5_many_classes_bin, fp32, 1e-4, 0.99",
    "k3_four_stages_safetensors, bf16, 0.25, 0.8", "k5_many_classes_bin, bf16, 0.25, 0.05",
  })
  void masksMatchHuggingFace(String fixture, String precision, double tieMargin, double minCompared)
      throws Exception {
    DinatCudaParityTest.gpuOrSkip(Precision.computeType(precision)).close();
    double[] stats = SegmentationInferenceTest.assertMatchesHuggingFace(fixture,
        new SegmentationOptions(2, "cuda", true, precision), tieMargin, minCompared,
        precision.equals("fp32") ? 0.5 + 1e-3 : 10);
    System.out.printf("[gpu-parity] segmentation %s %s: %.2f%% of pixels labelled as Hugging Face does, all %.1f%% "
        + "with a reference margin above %.2g among them%n", fixture, precision, 100 * stats[0], 100 * stats[1],
        tieMargin);
  }
}
