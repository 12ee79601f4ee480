package io.vicinity.udfs.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.image.RgbImage;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaskOverlayTest {

  @Test
  void blendsEachClassColourOverTheImageAndAddsALegendBeside() {
    byte[] rgb = new byte[4 * 3 * 3]; // black
    int[] labels = {0, 0, 2, 2, 0, 0, 2, 2, 0, 0, 0, 2}; // class 0: 7 pixels, class 2: 5, class 1 absent
    RgbImage image = new RgbImage(4, 3, rgb);
    BufferedImage out = MaskOverlay.render(image, new LabelMap(4, 3, labels, null), List.of("sky", "sea", "sand"), 0.5);

    assertTrue(out.getWidth() > 4, "legend to the right");
    Color sand = MaskOverlay.colour(2);
    Color pixel = new Color(out.getRGB(3, 0));
    assertEquals(Math.round(sand.getRed() * 0.5), pixel.getRed(), 1);
    assertEquals(Math.round(sand.getGreen() * 0.5), pixel.getGreen(), 1);
    assertEquals(Math.round(sand.getBlue() * 0.5), pixel.getBlue(), 1);

    List<MaskOverlay.Entry> legend =
        MaskOverlay.legend(new LabelMap(4, 3, labels, null), List.of("sky", "sea", "sand"));
    assertEquals(List.of(new MaskOverlay.Entry(0, "sky  58.3%"), new MaskOverlay.Entry(2, "sand  41.7%")), legend);
  }

  @Test
  void aMaskOfAnotherSizeIsRefused() {
    RgbImage image = new RgbImage(4, 3, new byte[36]);
    LabelMap mask = new LabelMap(3, 4, new int[12], null);
    assertThrows(IllegalArgumentException.class, () -> MaskOverlay.render(image, mask, List.of("a"), 0.5));
  }

  @Test
  void labelsComeFromAModelDirectory() throws Exception {
    List<String> labels = MaskOverlay.readLabels(UperNetFixtures.dir(UperNetFixtures.FOUR_STAGES).resolve("model"));
    assertEquals(List.of("label_000", "label_001", "label_002", "label_003", "label_004"), labels);
  }
}
