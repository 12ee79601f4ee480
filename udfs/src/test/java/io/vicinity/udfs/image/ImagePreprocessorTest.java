package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.image.ImagePreprocessor.Size;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Size rules and arithmetic of the HF pipeline, checked against values worked out by hand. */
class ImagePreprocessorTest {

  private static ImagePreprocessor preprocessor(String json) {
    try {
      return new ImagePreprocessor(PreprocessorConfig.fromJson(new ObjectMapper().readTree(json)));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void shortestEdgeKeepsAspectTruncating() {
    // get_resize_output_image_size(default_to_square=False): long = int(short_req * long / short)
    assertEquals(new Size(224, 336), ImagePreprocessor.shortestEdgeSize(new Size(200, 300), 224));
    assertEquals(new Size(487, 224), ImagePreprocessor.shortestEdgeSize(new Size(211, 97), 224));
    assertEquals(new Size(256, 256), ImagePreprocessor.shortestEdgeSize(new Size(50, 50), 256));
  }

  @Test
  void sizeWithAspectRatioCapsTheLongEdge() {
    // 480x640, shortest 800, longest 1333: 640/480*800 = 1066.7 <= 1333, so 800x1066
    assertEquals(new Size(800, 1066), ImagePreprocessor.sizeWithAspectRatio(new Size(480, 640), 800, 1333));
    // 100x400: 4*800 > 1333, raw = 1333*100/400 = 333.25 -> 333; width = int(333.25*400/100) = 1333
    assertEquals(new Size(333, 1333), ImagePreprocessor.sizeWithAspectRatio(new Size(100, 400), 800, 1333));
    // already the right shortest edge: unchanged
    assertEquals(new Size(800, 900), ImagePreprocessor.sizeWithAspectRatio(new Size(800, 900), 800, 1333));
  }

  @Test
  void convNextCropPctSizes() {
    ImagePreprocessor p = preprocessor("{\"image_processor_type\": \"ConvNextImageProcessor\", \"size\": 224}");
    // int(224 / 0.875) = 256 on the short side, then a 224x224 crop
    assertEquals(new Size(256, 384), p.resizeTarget(new Size(200, 300)));
    assertEquals(new Size(224, 224), p.outputSize(200, 300));
    ImagePreprocessor warp = preprocessor("{\"image_processor_type\": \"ConvNextImageProcessor\", \"size\": 384}");
    assertEquals(new Size(384, 384), warp.outputSize(200, 300));
  }

  @Test
  void vitSizes() {
    assertEquals(new Size(30, 40), preprocessor("{\"size\": {\"height\": 30, \"width\": 40}}").outputSize(500, 3));
    assertEquals(new Size(7, 9), preprocessor("{\"do_resize\": false}").outputSize(7, 9));
    assertEquals(new Size(4, 5), preprocessor("{\"size\": 10, \"do_center_crop\": true,"
        + " \"crop_size\": {\"height\": 4, \"width\": 5}}").outputSize(1, 1));
  }

  @Test
  void centerCropUsesFloorOffsetsAndZeroPads() {
    RgbImage image = ramp(5, 4);
    // 5 wide -> 2: left = (5 - 2) // 2 = 1; 4 high -> 3: top = 0
    RgbImage crop = ImagePreprocessor.centerCrop(image, 3, 2);
    assertEquals(image.sample(1, 0, 0), crop.sample(0, 0, 0));
    assertEquals(image.sample(2, 2, 0), crop.sample(1, 2, 0));
    // larger than the image: (4 - 6) // 2 = -1, so one row/column of zeros before the image
    RgbImage padded = ImagePreprocessor.centerCrop(image, 6, 7);
    assertEquals(0, padded.sample(0, 0, 0));
    assertEquals(image.sample(0, 0, 0), padded.sample(1, 1, 0));
    assertEquals(image.sample(4, 3, 2), padded.sample(5, 4, 2));
    assertEquals(0, padded.sample(6, 5, 1));
  }

  @Test
  void rescaleAndNormalizeInFloat32LikeNumpy() {
    ImagePreprocessor p = preprocessor("{\"do_resize\": false, \"image_mean\": [0.485, 0.456, 0.406],"
        + " \"image_std\": [0.229, 0.224, 0.225]}");
    RgbImage pixel = new RgbImage(1, 1, new byte[] {(byte) 255, 0, (byte) 128});
    float r = ((float) (255 * (1 / 255.0)) - 0.485f) / 0.229f;
    float g = ((float) (0 * (1 / 255.0)) - 0.456f) / 0.224f;
    float b = ((float) (128 * (1 / 255.0)) - 0.406f) / 0.225f;
    assertArrayEquals(new float[] {r, g, b}, p.preprocess(pixel));
    assertEquals(2.2489083f, r, 1e-6f);
  }

  @Test
  void outputIsHwcOfTheResizedImage() {
    ImagePreprocessor p = preprocessor("{\"size\": {\"height\": 3, \"width\": 2}, \"do_normalize\": false,"
        + " \"do_rescale\": false, \"resample\": 0}");
    float[] out = p.preprocess(ramp(4, 6));
    assertEquals(3 * 2 * 3, out.length);
    RgbImage expected = PillowResize.resize(ramp(4, 6), 2, 3, ResampleFilter.NEAREST);
    for (int i = 0; i < out.length; i++) {
      assertEquals(expected.rgb()[i] & 0xFF, out[i]);
    }
  }

  private static RgbImage ramp(int width, int height) {
    byte[] rgb = new byte[width * height * 3];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) (i + 1);
    }
    return new RgbImage(width, height, rgb);
  }
}
