package io.vicinity.udfs.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cpu.CpuBackend;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.testing.Compare;
import io.vicinity.udfs.testing.Npy;
import io.vicinity.udfs.testing.Layouts;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * UperNet + DiNAT on the CPU backend against Hugging Face's modules in float64, from HF's own
 * pixel_values (preprocessing is covered by SegmentationInferenceTest): each backbone feature map of image 0,
 * then every image's logits at the input size.
 */
class UperNetParityTest {
  static final double TOLERANCE = 1e-4;
  @AutoClose private static final Backend cpu = new CpuBackend();

  @ParameterizedTest
  @ValueSource(strings = {UperNetFixtures.FOUR_STAGES, UperNetFixtures.MANY_CLASSES})
  void logitsMatchHuggingFaceInFloat64(String name) throws Exception {
    Path dir = UperNetFixtures.dir(name);
    Npy.Array pv = Npy.read(dir.resolve("pixel_values.npy"));
    int n = pv.shape()[0];
    int h = pv.shape()[2];
    int w = pv.shape()[3];
    float[] pixels = Layouts.toChannelsLast(pv.floats(), n, 3, h, w);
    Npy.Array refLogits = Npy.read(dir.resolve("logits.npy"));
    int classes = refLogits.shape()[1];

    try (HfModelDir model = HfModelDir.open(dir.resolve("model"));
        UperNetSegmenter upernet = UperNetSegmenter.load(model, cpu)) {
      assertEquals(classes, upernet.labels().size());
      Map<String, float[]> features = new HashMap<>();
      upernet.probe = (stage, t) -> features.put(stage, firstImage(t));
      SegmentationLogits out = upernet.forward(pixels, n, h, w);

      // Feature maps first: a failure here says whether the backbone or the head diverges.
      for (String stage : upernet.backbone().outFeatures()) {
        double[] ref = Npy.read(dir.resolve("feature_" + stage + ".npy")).doubles();
        double err = Compare.maxRelativeError(features.get(stage), ref);
        assertTrue(err < TOLERANCE, name + " feature " + stage + ": relative error " + err);
      }
      assertEquals(features.size(), upernet.backbone().outFeatures().size());

      double[] ref = UperNetFixtures.doubles(refLogits);
      for (int i = 0; i < n; i++) {
        double[] expected = UperNetFixtures.imageChannelsLast(ref, i, classes, h, w);
        double err = Compare.maxRelativeError(out.atInputSize(i), expected);
        System.out.printf("%s image %d: logits relative error %.2e%n", name, i, err);
        assertTrue(err < TOLERANCE, name + " logits of image " + i + ": relative error " + err);
      }
    }
  }

  private float[] firstImage(Tensor t) {
    float[] all = cpu.toHost(t);
    return java.util.Arrays.copyOf(all, all.length / t.dim(0));
  }
}
