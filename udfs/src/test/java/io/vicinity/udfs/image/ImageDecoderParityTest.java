package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Our decode + RGB conversion against Pillow's {@code Image.open(f).convert("RGB")}: exact for
 * lossless formats; for JPEG within a tolerance, because ImageIO's libjpeg 6b and Pillow's
 * libjpeg-turbo round differently in places (IDCT/upsampling details).
 */
class ImageDecoderParityTest {

  /** Mean absolute difference per sample allowed for JPEG (0 observed with JDK 17 vs Pillow 12.3). */
  static final double JPEG_MEAN_ABS_TOLERANCE = 0.5;
  /** Any single sample; large values would mean a different colour conversion, not rounding. */
  static final int JPEG_MAX_ABS_TOLERANCE = 8;

  @TestFactory
  List<DynamicTest> matchesPillowDecode() {
    if (!PreprocessFixtures.present()) {
      return PreprocessFixtures.skippedBecauseAbsent();
    }
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode image : PreprocessFixtures.manifest().get("images")) {
      String file = image.get("file").asText();
      String label = file + " (Pillow mode " + image.get("mode").asText() + ")";
      tests.add(DynamicTest.dynamicTest(label, () -> {
        RgbImage actual = ImageDecoder.decode(file, PreprocessFixtures.bytes(file));
        RgbImage expected = PreprocessFixtures.rgbNpy(image.get("decoded").asText());
        if (image.get("lossy").asBoolean()) {
          double[] diff = RgbAssertions.meanAndMaxAbsDiff(expected, actual);
          assertTrue(diff[0] <= JPEG_MEAN_ABS_TOLERANCE && diff[1] <= JPEG_MAX_ABS_TOLERANCE,
              String.format("%s: mean abs diff %.4f (limit %.1f), max %d (limit %d)",
                  label, diff[0], JPEG_MEAN_ABS_TOLERANCE, (int) diff[1], JPEG_MAX_ABS_TOLERANCE));
        } else {
          RgbAssertions.assertSameRgb(expected, actual, label);
        }
      }));
    }
    return tests;
  }
}
