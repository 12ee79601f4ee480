package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The in-place read of 8-bit interleaved rasters gives the bytes the general per-band path gives. */
class PillowRgbConversionTest {

  private static BufferedImage random(int type, int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, type);
    Random rnd = new Random(seed);
    var raster = image.getRaster();
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        for (int b = 0; b < raster.getNumBands(); b++) {
          raster.setSample(x, y, b, rnd.nextInt(256));
        }
      }
    }
    return image;
  }

  /** Both paths on the same image; whether the in-place one took it. */
  private static boolean assertSameBytes(BufferedImage image, String what) {
    Raster raster = image.getRaster();
    int n = 3 * raster.getWidth() * raster.getHeight();
    byte[] general = new byte[n];
    PillowRgbConversion.fromComponents(raster, image.getColorModel(), false, general);
    byte[] inPlace = new byte[n];
    boolean taken = PillowRgbConversion.fromInterleavedBytes(raster, image.getColorModel(), inPlace);
    if (taken) {
      assertArrayEquals(general, inPlace, what);
    }
    assertArrayEquals(general, PillowRgbConversion.toRgb(image, false).rgb(), what + " through toRgb");
    return taken;
  }

  @Test
  void byteRastersAreReadInPlaceWithTheSameBytes() {
    assertEquals(true, assertSameBytes(random(BufferedImage.TYPE_3BYTE_BGR, 37, 23, 1), "BGR (JPEG's)"));
    assertEquals(true, assertSameBytes(random(BufferedImage.TYPE_4BYTE_ABGR, 19, 31, 2), "ABGR: alpha dropped"));
    assertEquals(true, assertSameBytes(random(BufferedImage.TYPE_BYTE_GRAY, 29, 17, 3), "grey replicated"));
    // A child raster (sub-image): its sample model is translated against the parent's array.
    BufferedImage parent = random(BufferedImage.TYPE_3BYTE_BGR, 40, 30, 4);
    assertEquals(true, assertSameBytes(parent.getSubimage(7, 5, 21, 13), "sub-image"));
  }

  @Test
  void otherLayoutsTakeTheGeneralPath() {
    assertEquals(false, assertSameBytes(random(BufferedImage.TYPE_INT_RGB, 11, 9, 5), "packed ints"));
    assertEquals(false, assertSameBytes(random(BufferedImage.TYPE_USHORT_GRAY, 11, 9, 6), "16-bit grey"));
  }
}
