package io.vicinity.udfs.dinat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cpu.CpuBackend;
import io.vicinity.udfs.DinatParity;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.testing.Compare;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Layouts;
import io.vicinity.udfs.testing.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DiNAT on the CPU backend against Hugging Face's modules run in float64 (fixtures from
 * scripts/reference/make_dinat_fixtures.py). The network input is HF's own pixel_values, so this isolates
 * the model from preprocessing; ImageInferenceParityTest covers files -> outputs.
 */
class DinatParityTest {
  static final double TOLERANCE = DinatParity.TOLERANCE;
  @AutoClose private static final Backend cpu = new CpuBackend();

  @ParameterizedTest
  @ValueSource(strings = {"k7_classifier_safetensors", "k3_layerscale_sharded", "k5_model_bin"})
  void matchesHuggingFaceInFloat64(String name) throws Exception {
    Path dir = Fixtures.dir("fixtures/dinat/" + name);
    Npy.Array pv = Npy.read(dir.resolve("pixel_values.npy"));
    int n = pv.shape()[0];
    int h = pv.shape()[2];
    int w = pv.shape()[3];
    float[] pixels = Layouts.toChannelsLast(pv.floats(), n, 3, h, w);

    try (HfModelDir model = HfModelDir.open(dir.resolve("model"));
        DinatModel dinat = DinatModel.load(model, cpu)) {
      Map<String, float[]> stages = new HashMap<>();
      dinat.probe = (stage, t) -> stages.put(stage, firstImage(t));
      DinatModel.Output out = dinat.forward(pixels, n, h, w);

      // Stage by stage first, for image 0: a failure here says where the model diverges.
      for (int s = 0; Files.exists(dir.resolve("stage_" + s + ".npy")); s++) {
        double[] ref = Npy.read(dir.resolve("stage_" + s + ".npy")).doubles();
        double err = Compare.maxRelativeError(stages.get("stage_" + s), ref);
        assertTrue(err < TOLERANCE, name + " stage_" + s + ": relative error " + err);
      }

      double[][] pooledRef = Compare.rows(Npy.read(dir.resolve("pooled.npy")).doubles(), n);
      assertEquals(dinat.config().numFeatures(), pooledRef[0].length);
      DinatParity.assertRows(name + " pooled", out.pooled(), pooledRef);

      Path logitsFile = dir.resolve("logits.npy");
      assertEquals(Files.exists(logitsFile), dinat.hasClassifier());
      if (dinat.hasClassifier()) {
        DinatParity.assertRows(name + " logits", out.logits(), Compare.rows(Npy.read(logitsFile).doubles(), n));
      }
    }
  }

  private float[] firstImage(Tensor t) {
    float[] all = cpu.toHost(t);
    return java.util.Arrays.copyOf(all, all.length / t.dim(0));
  }
}
