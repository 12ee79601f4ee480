package io.vicinity.udfs.segment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MaskPngTest {

  @ParameterizedTest
  @CsvSource({"2, 8", "256, 8", "257, 16", "300, 16", "65536, 16"})
  void labelsRoundTripThroughImageIoAtTheDepthTheClassesNeed(int classes, int depth) throws Exception {
    LabelMap map = randomMap(13, 7, classes, 11);
    map.labels()[0] = classes - 1; // the largest index must survive (255 in 8 bits, > 255 in 16)
    byte[] png = MaskPng.encodeLabels(map, classes);

    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertEquals(13, image.getWidth());
    assertEquals(7, image.getHeight());
    assertEquals(depth, image.getColorModel().getComponentSize(0));
    assertArrayEquals(map.labels(), image.getRaster().getSamples(0, 0, 13, 7, 0, (int[]) null));
    assertEquals(depth, MaskPng.bitDepth(classes));
  }

  @Test
  void classCountsOutsideSixteenBitsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> MaskPng.bitDepth(65537));
    assertThrows(IllegalArgumentException.class, () -> MaskPng.bitDepth(0));
  }

  @Test
  void scoresAreProbabilityTimes255Rounded() {
    float[] p = {0f, 1f, 0.5f, 0.2f, 0.998f, 1.0001f};
    LabelMap map = new LabelMap(3, 2, new int[6], p);
    int[] levels = MaskPng.decodeSamples(MaskPng.encodeScores(map));
    assertArrayEquals(new int[] {0, 255, 128, 51, 254, 255}, levels);
  }

  @Test
  void scoresNeedAMapMadeWithThem() {
    LabelMap map = new LabelMap(1, 1, new int[1], null);
    assertThrows(IllegalArgumentException.class, () -> MaskPng.encodeScores(map));
  }

  private static LabelMap randomMap(int width, int height, int classes, long seed) {
    Random random = new Random(seed);
    int[] labels = new int[width * height];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = random.nextInt(classes);
    }
    return new LabelMap(width, height, labels, null);
  }
}
