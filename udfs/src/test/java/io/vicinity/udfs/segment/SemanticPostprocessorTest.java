package io.vicinity.udfs.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Small cases worked out by hand from torch's bilinear rule (align_corners=False). */
class SemanticPostprocessorTest {

  @Test
  void upsamplesThenTakesTheBestClassPerPixel() {
    // One row, two pixels, two classes: pixel 0 says class 0, pixel 1 says class 1.
    float[] logits = {1, 0, 0, 1};
    // Width 2 -> 4: sources max(0.5 * (x + 0.5) - 0.5, 0) = 0, 0.25, 0.75, 1.25 (clamped to pixel 1).
    LabelMap map = SemanticPostprocessor.labelMap(logits, 1, 2, 2, 1, 4, true);
    assertArrayEquals(new int[] {0, 0, 1, 1}, map.labels());
    // At x = 1 the scores are (0.75, 0.25): softmax of the best = 1 / (1 + e^-0.5).
    assertEquals(1 / (1 + Math.exp(-0.5)), map.topProbability()[1], 1e-6);
  }

  @Test
  void tiesGoToTheFirstClassAsTorchArgmax() {
    float[] logits = {2, 2, 2, 2, 2, 2};
    LabelMap map = SemanticPostprocessor.labelMap(logits, 1, 2, 3, 3, 5, false);
    assertEquals(15, map.labels().length);
    for (int label : map.labels()) {
      assertEquals(0, label);
    }
  }

  @Test
  void downsamplingKeepsTheRequestedSize() {
    // 4x4 with class 1 winning in the right half only.
    float[] logits = new float[4 * 4 * 2];
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        logits[(y * 4 + x) * 2 + (x >= 2 ? 1 : 0)] = 1;
      }
    }
    LabelMap map = SemanticPostprocessor.labelMap(logits, 4, 4, 2, 3, 2, false);
    assertEquals(2, map.width());
    assertEquals(3, map.height());
    // Sources on x: 2 * (x + 0.5) - 0.5 = 0.5 and 2.5: halfway between columns 0/1 and 2/3.
    assertArrayEquals(new int[] {0, 1, 0, 1, 0, 1}, map.labels());
  }
}
