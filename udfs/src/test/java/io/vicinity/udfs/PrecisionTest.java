package io.vicinity.udfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.DType;
import io.vicinity.udfs.segment.SegmentationOptions;
import io.vicinity.udfs.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The precision option: names, refusals, and the CPU backend computing fp32 whatever is asked. */
class PrecisionTest {

  @Test
  void namesMapToComputeTypes() {
    assertEquals(DType.F32, Precision.computeType("fp32"));
    assertEquals(DType.BF16, Precision.computeType("BF16"));
    assertEquals("fp32", new InferenceOptions(1, false, 1, "cpu").precision());
    assertEquals("fp32", new SegmentationOptions(1, "cpu", false).precision());
  }

  @Test
  void unknownOrUncheckedPrecisionsAreRefusedWhenTheOptionsAreMade() {
    for (String bad : new String[] {"fp16", "int8", "", null}) {
      var e = assertThrows(IllegalArgumentException.class, () -> new InferenceOptions(1, false, 1, "cpu", bad));
      assertTrue(e.getMessage().contains("precision must be fp32 or bf16, got " + bad), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new SegmentationOptions(1, "cpu", false, bad));
    }
  }

  @Test
  void cpuComputesFp32WhenBf16IsAsked() throws Exception {
    Path dir = Fixtures.dir("fixtures/dinat/k7_classifier_safetensors");
    List<ImageInput> inputs = ImageInferenceParityTest.fixtureImages(dir);
    List<ImageResult> fp32;
    try (var inference = ImageInference.open(dir.resolve("model"), new InferenceOptions(3, true, 2, "cpu", "fp32"))) {
      fp32 = inference.run(inputs);
    }
    try (var inference = ImageInference.open(dir.resolve("model"), new InferenceOptions(3, true, 2, "cpu", "bf16"))) {
      assertTrue(inference.backendDescription().contains("float32"), inference.backendDescription());
      List<ImageResult> asked = inference.run(inputs);
      for (int i = 0; i < inputs.size(); i++) {
        assertArrayEquals(fp32.get(i).embedding(), asked.get(i).embedding(), inputs.get(i).path());
      }
    }
  }
}
