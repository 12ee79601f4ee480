package io.vicinity.udfs.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.cpu.CpuBackend;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.testing.Compare;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Npy;
import io.vicinity.udfs.testing.VideoFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * VideoMAE on the CPU backend against Hugging Face's modules in float64 (scripts/reference/
 * make_videomae_fixtures.py): dense attention against HF itself, radial and na3d against Python's dense
 * masked references, on both key layouts (cls_keybias: 5.x with a non-zero key bias; model_legacy: q_bias and
 * v_bias, as pytorch_model.bin).
 */
class VideoMaeParityTest {
  static final double TOLERANCE = 1e-4;
  @AutoClose private static final Backend cpu = new CpuBackend();

  static Path fixture(String name) {
    return Fixtures.dir("fixtures/videomae/" + name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cls_keybias", "model_legacy"})
  void denseMatchesHuggingFace(String name) {
    Path dir = fixture(name);
    VideoFixtures.Clips clips = VideoFixtures.readClips(dir.resolve("pixel_values.npy"));
    try (HfModelDir model = HfModelDir.open(dir.resolve("model"));
        VideoMaeModel videomae = VideoMaeModel.load(model, cpu)) {
      VideoMaeModel.Output out = videomae.forward(clips.channelsLast(), clips.count(), clips.frames(),
          VideoAttention.DENSE, true);
      assertFalse(out.positionsExtended());
      assertEquals(1.0, out.attentionDensity());
      assertOutputs(name + " dense", dir, "", out, clips.count(), videomae.hasClassifier());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cls_keybias", "model_legacy"})
  void longerClipExtendsThePositionTable(String name) {
    Path dir = fixture(name);
    VideoFixtures.Clips clip = VideoFixtures.readClips(dir.resolve("long_pixel_values.npy"));
    try (HfModelDir model = HfModelDir.open(dir.resolve("model"));
        VideoMaeModel videomae = VideoMaeModel.load(model, cpu)) {
      VideoMaeModel.Output out = videomae.forward(clip.channelsLast(), 1, clip.frames(), VideoAttention.DENSE, true);
      assertTrue(out.positionsExtended(), "a " + clip.frames() + "-frame clip is longer than num_frames "
          + videomae.config().numFrames());
      assertOutputs(name + " long dense", dir, "long_dense_", out, 1, videomae.hasClassifier());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cls_keybias", "model_legacy"})
  void maskedModesMatchPythonReferences(String name) throws Exception {
    Path dir = fixture(name);
    VideoFixtures.Clips clip = VideoFixtures.readClips(dir.resolve("long_pixel_values.npy"));
    JsonNode modes = new ObjectMapper().readTree(dir.resolve("masks.json").toFile());
    try (HfModelDir model = HfModelDir.open(dir.resolve("model"));
        VideoMaeModel videomae = VideoMaeModel.load(model, cpu)) {
      for (JsonNode mode : modes) {
        VideoAttention attention = VideoFixtures.attentionOf(mode);
        VideoMaeModel.Output out = videomae.forward(clip.channelsLast(), 1, clip.frames(), attention, true);
        String what = name + " " + attention;
        assertOutputs(what, dir, "long_" + mode.get("name").asText() + "_", out, 1, videomae.hasClassifier());
        // Python's density is that of the masked layers; ours averages over layers (dense ones count 1).
        int layers = videomae.config().numLayers();
        int masked = layers - mode.path("dense_layers").asInt(0);
        double expected = (mode.get("density").asDouble() * masked + (layers - masked)) / layers;
        assertEquals(expected, out.attentionDensity(), 1e-12, what + " density");
        // And the masked outputs must differ from dense: otherwise this test could not see a wrong mask.
        double[] dense = Npy.read(dir.resolve("long_dense_last_hidden.npy")).doubles();
        assertTrue(Compare.maxRelativeError(out.lastHidden()[0], dense) > 1e-2, what + " equals dense");
      }
    }
  }

  @Test
  void positionTableEqualsHuggingFaces() {
    Npy.Array ref = Npy.read(fixture("cls_keybias").resolve("position_table.npy"));
    float[] ours = SinusoidPositions.table(ref.shape()[0], ref.shape()[1]);
    float[] theirs = ref.floats();
    int differing = 0;
    double maxDiff = 0;
    for (int i = 0; i < ours.length; i++) {
      if (ours[i] != theirs[i]) {
        differing++;
        maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
      }
    }
    // Computed in double and rounded like numpy; libm and StrictMath may differ in the last bit of a double.
    assertTrue(maxDiff <= 1.2e-7 && differing <= ours.length / 100, differing + " entries differ, max " + maxDiff);
  }

  static void assertOutputs(String what, Path dir, String prefix, VideoMaeModel.Output out, int n,
      boolean classifier) {
    double[][] hidden = Compare.rows(Npy.read(dir.resolve(prefix + "last_hidden.npy")).doubles(), n);
    assertEquals(hidden[0].length, out.tokens() * out.pooled()[0].length, what + ": last hidden size");
    assertParity(what + " last hidden", out.lastHidden(), hidden);
    assertParity(what + " pooled", out.pooled(), Compare.rows(Npy.read(dir.resolve(prefix + "pooled.npy")).doubles(), n));
    Path logits = dir.resolve(prefix + "logits.npy");
    assertEquals(Files.exists(logits), classifier, what + ": classifier presence");
    if (classifier) {
      assertParity(what + " logits", out.logits(), Compare.rows(Npy.read(logits).doubles(), n));
    } else {
      assertArrayEquals(null, out.logits());
    }
  }

  static void assertParity(String what, float[][] actual, double[][] expected) {
    assertEquals(expected.length, actual.length, what + ": rows");
    for (int i = 0; i < actual.length; i++) {
      double err = Compare.maxRelativeError(actual[i], expected[i]);
      assertTrue(err < TOLERANCE, what + " clip " + i + ": relative error " + err);
    }
    if (actual.length > 1) {
      double centered = Compare.centeredRelativeError(actual, expected);
      assertTrue(centered < TOLERANCE, what + " (clip-dependent part): relative error " + centered);
    }
  }
}
