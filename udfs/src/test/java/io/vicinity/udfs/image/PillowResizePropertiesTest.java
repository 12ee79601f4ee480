package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Properties of Pillow's resize that hold without reference data. */
class PillowResizePropertiesTest {

  private static final int[][] SIZES = {{1, 1}, {3, 2}, {17, 9}, {40, 64}, {100, 7}, {64, 40}};

  @ParameterizedTest
  @EnumSource(ResampleFilter.class)
  void constantImageStaysConstant(ResampleFilter filter) {
    RgbImage source = constant(40, 64, 17, 200, 255);
    for (int[] size : SIZES) {
      RgbImage out = PillowResize.resize(source, size[0], size[1], filter);
      assertArrayEquals(constant(size[0], size[1], 17, 200, 255).rgb(), out.rgb(),
          filter + " to " + size[0] + "x" + size[1]);
    }
  }

  @ParameterizedTest
  @EnumSource(ResampleFilter.class)
  void sameSizeIsACopy(ResampleFilter filter) {
    RgbImage source = noise(23, 11, 3);
    RgbImage out = PillowResize.resize(source, 23, 11, filter);
    assertArrayEquals(source.rgb(), out.rgb());
    assertNotSame(source.rgb(), out.rgb());
  }

  /** A region (a center crop, or one reaching outside the image) is the same pixels as the whole resize's. */
  @ParameterizedTest
  @EnumSource(ResampleFilter.class)
  void regionIsTheWholeResizesPixels(ResampleFilter filter) {
    Random random = new Random(filter.ordinal());
    RgbImage source = noise(37, 29, 5);
    int[][] sizes = {{20, 15}, {37, 12}, {14, 29}, {37, 29}, {90, 61}, {53, 20}};
    for (int[] size : sizes) {
      RgbImage whole = PillowResize.resize(source, size[0], size[1], filter);
      for (int trial = 0; trial < 12; trial++) {
        int w = 1 + random.nextInt(size[0] + 6);
        int h = 1 + random.nextInt(size[1] + 6);
        int left = random.nextInt(size[0] + 8) - 4 - (trial % 3 == 0 ? w : 0);
        int top = random.nextInt(size[1] + 8) - 4;
        RgbImage region = PillowResize.resizeRegion(source, size[0], size[1], filter, left, top, w, h);
        assertArrayEquals(pixelsAt(whole, left, top, w, h), region.rgb(),
            filter + " " + size[0] + "x" + size[1] + " region " + w + "x" + h + " at " + left + "," + top);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ResampleFilter.class)
  void horizontalGradientStaysMonotonic(ResampleFilter filter) {
    int width = 50;
    byte[] rgb = new byte[width * 4 * 3];
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < 3; c++) {
          rgb[(y * width + x) * 3 + c] = (byte) (x * 5);
        }
      }
    }
    RgbImage gradient = new RgbImage(width, 4, rgb);
    for (int[] size : new int[][] {{13, 3}, {50, 9}, {131, 4}, {7, 2}}) {
      RgbImage out = PillowResize.resize(gradient, size[0], size[1], filter);
      for (int y = 0; y < out.height(); y++) {
        for (int x = 1; x < out.width(); x++) {
          assertTrue(out.sample(x, y, 1) >= out.sample(x - 1, y, 1),
              filter + " " + size[0] + "x" + size[1] + " not monotonic at x=" + x);
        }
      }
    }
  }

  @Test
  void halfwayBilinearRoundsHalfUp() {
    // weights 1/2 each in 22-bit fixed point: (10 + 21) / 2 = 15.5, Pillow adds a half then truncates
    RgbImage source = new RgbImage(2, 1, new byte[] {10, 10, 10, 21, 21, 21});
    assertArrayEquals(new byte[] {16, 16, 16}, PillowResize.resize(source, 1, 1, ResampleFilter.BILINEAR).rgb());
  }

  @Test
  void boxDownscaleByTwoAveragesPairs() {
    RgbImage source = new RgbImage(4, 1, new byte[] {0, 0, 0, 100, 100, 100, (byte) 200, (byte) 200, (byte) 200,
        (byte) 255, (byte) 255, (byte) 255});
    assertArrayEquals(new byte[] {50, 50, 50, (byte) 228, (byte) 228, (byte) 228},
        PillowResize.resize(source, 2, 1, ResampleFilter.BOX).rgb());
  }

  @Test
  void nearestPicksPixelCentres() {
    // 5 -> 2: centres at 1.25 and 3.75 source pixels, truncated to 1 and 3
    byte[] rgb = new byte[15];
    for (int x = 0; x < 5; x++) {
      rgb[x * 3] = rgb[x * 3 + 1] = rgb[x * 3 + 2] = (byte) (x * 10);
    }
    RgbImage out = PillowResize.resize(new RgbImage(5, 1, rgb), 2, 1, ResampleFilter.NEAREST);
    assertEquals(10, out.sample(0, 0, 0));
    assertEquals(30, out.sample(1, 0, 0));
  }

  @ParameterizedTest
  @EnumSource(value = ResampleFilter.class, names = {"BICUBIC", "LANCZOS"})
  void overshootIsClippedNotWrapped(ResampleFilter filter) {
    // a sharp edge upsampled with a negative-lobe kernel overshoots below 0 and above 255;
    // Pillow clips, so the dark side stays dark and the bright side bright
    byte[] rgb = new byte[16 * 3];
    java.util.Arrays.fill(rgb, 8 * 3, 16 * 3, (byte) 255);
    RgbImage out = PillowResize.resize(new RgbImage(16, 1, rgb), 64, 1, filter);
    for (int x = 0; x < 32; x++) {
      assertTrue(out.sample(x, 0, 0) < 128, filter + " dark side x=" + x + ": " + out.sample(x, 0, 0));
      assertTrue(out.sample(x + 32, 0, 0) >= 128, filter + " bright side x=" + (x + 32));
    }
    assertEquals(0, out.sample(29, 0, 0), "undershoot clipped to 0");
    assertEquals(255, out.sample(34, 0, 0), "overshoot clipped to 255");
  }

  @Test
  void refusesEmptyTarget() {
    assertThrows(IllegalArgumentException.class,
        () -> PillowResize.resize(noise(3, 3, 1), 0, 3, ResampleFilter.BILINEAR));
  }

  private static RgbImage constant(int width, int height, int r, int g, int b) {
    byte[] rgb = new byte[width * height * 3];
    for (int i = 0; i < rgb.length; i += 3) {
      rgb[i] = (byte) r;
      rgb[i + 1] = (byte) g;
      rgb[i + 2] = (byte) b;
    }
    return new RgbImage(width, height, rgb);
  }

  /** The w x h pixels of {@code image} at (left, top), pixel by pixel; 0 outside the image. */
  private static byte[] pixelsAt(RgbImage image, int left, int top, int w, int h) {
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int sx = left + x;
        int sy = top + y;
        for (int c = 0; c < 3 && sx >= 0 && sx < image.width() && sy >= 0 && sy < image.height(); c++) {
          out[(y * w + x) * 3 + c] = (byte) image.sample(sx, sy, c);
        }
      }
    }
    return out;
  }

  private static RgbImage noise(int width, int height, long seed) {
    byte[] rgb = new byte[width * height * 3];
    new Random(seed).nextBytes(rgb);
    return new RgbImage(width, height, rgb);
  }
}
