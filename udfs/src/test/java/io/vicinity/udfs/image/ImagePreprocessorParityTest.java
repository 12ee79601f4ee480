package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.vicinity.udfs.testing.Npy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Our pipeline against Hugging Face's slow (PIL/numpy) ViT and ConvNext image processors. */
class ImagePreprocessorParityTest {

  static final double TOLERANCE = 1e-6;

  @TestFactory
  List<DynamicTest> matchesHuggingFace() {
    if (!PreprocessFixtures.present()) {
      return PreprocessFixtures.skippedBecauseAbsent();
    }
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : PreprocessFixtures.manifest().get("preprocess")) {
      String expected = c.get("expected").asText();
      tests.add(DynamicTest.dynamicTest(expected + " (" + c.get("processor").asText() + ")", () -> {
        PreprocessorConfig config = PreprocessorConfig.fromFile(PreprocessFixtures.file(c.get("config").asText()));
        ImagePreprocessor preprocessor = new ImagePreprocessor(config);
        RgbImage input = PreprocessFixtures.rgbNpy(c.get("input").asText());
        Npy.Array reference = Npy.read(PreprocessFixtures.file(expected));
        ImagePreprocessor.Size size = preprocessor.outputSize(input.height(), input.width());
        assertArrayEquals(reference.shape(), new int[] {size.height(), size.width(), 3}, "output shape");
        float[] actual = preprocessor.preprocess(input);
        float[] want = reference.floats();
        assertEquals(want.length, actual.length, "length");
        for (int i = 0; i < want.length; i++) {
          if (!(Math.abs(want[i] - actual[i]) <= TOLERANCE)) {
            int pixel = i / 3;
            fail(String.format("%s: first difference at y=%d x=%d channel %d: expected %.9g, got %.9g",
                expected, pixel / size.width(), pixel % size.width(), i % 3, want[i], actual[i]));
          }
        }
      }));
    }
    return tests;
  }
}
