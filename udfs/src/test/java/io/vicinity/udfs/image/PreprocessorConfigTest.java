package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreprocessorConfigTest {

  private static PreprocessorConfig parse(String json) {
    try {
      return PreprocessorConfig.fromJson(new ObjectMapper().readTree(json));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void defaultsAreViTImageProcessors() {
    PreprocessorConfig c = PreprocessorConfig.defaults();
    assertEquals(PreprocessorConfig.Family.VIT, c.family());
    assertTrue(c.doResize());
    assertEquals(new ResizeSpec.Exact(224, 224), c.size());
    assertEquals(ResampleFilter.BILINEAR, c.resample());
    assertFalse(c.doCenterCrop());
    assertTrue(c.doRescale());
    assertEquals(1 / 255.0, c.rescaleFactor());
    assertTrue(c.doNormalize());
    assertArrayEquals(new double[] {0.5, 0.5, 0.5}, c.imageMean());
    assertArrayEquals(new double[] {0.5, 0.5, 0.5}, c.imageStd());
    assertNull(c.doConvertRgb());
  }

  @Test
  void segformerProcessorOfUperNetCheckpoints() {
    // the shape of openmmlab/upernet-* preprocessor configs; missing keys take Segformer's defaults
    PreprocessorConfig c = parse("{\"image_processor_type\": \"SegformerImageProcessor\","
        + " \"do_reduce_labels\": false, \"resample\": 2}");
    assertEquals(PreprocessorConfig.Family.SEGFORMER, c.family());
    assertEquals(new ResizeSpec.Exact(512, 512), c.size());
    assertEquals(ResampleFilter.BILINEAR, c.resample());
    assertArrayEquals(new double[] {0.485, 0.456, 0.406}, c.imageMean());
    assertArrayEquals(new double[] {0.229, 0.224, 0.225}, c.imageStd());
    PreprocessorConfig sized = parse("{\"image_processor_type\": \"SegformerImageProcessor\","
        + " \"size\": {\"height\": 256, \"width\": 320}, \"image_mean\": [0.5, 0.5, 0.5]}");
    assertEquals(new ResizeSpec.Exact(256, 320), sized.size());
    assertArrayEquals(new double[] {0.5, 0.5, 0.5}, sized.imageMean());
  }

  @Test
  void dinatStyleConvNextConfig() {
    // the shape of shi-labs DiNAT preprocessor configs: int size, crop_pct, bicubic
    PreprocessorConfig c = parse("{\"crop_pct\": 0.875, \"do_normalize\": true, \"do_resize\": true,"
        + " \"feature_extractor_type\": \"ConvNextFeatureExtractor\","
        + " \"image_mean\": [0.485, 0.456, 0.406], \"image_std\": [0.229, 0.224, 0.225],"
        + " \"resample\": 3, \"size\": 224}");
    assertEquals(PreprocessorConfig.Family.CONVNEXT, c.family());
    assertEquals(new ResizeSpec.ShortestEdge(224), c.size());
    assertEquals(ResampleFilter.BICUBIC, c.resample());
    assertEquals(0.875, c.cropPct());
    assertArrayEquals(new double[] {0.229, 0.224, 0.225}, c.imageStd());
  }

  @Test
  void sizeForms() {
    assertEquals(new ResizeSpec.Exact(224, 224), parse("{\"size\": 224}").size());
    assertEquals(new ResizeSpec.Exact(30, 40), parse("{\"size\": {\"height\": 30, \"width\": 40}}").size());
    assertEquals(new ResizeSpec.ShortestEdge(256), parse("{\"size\": {\"shortest_edge\": 256}}").size());
    assertEquals(new ResizeSpec.ShortestAndLongestEdge(800, 1333),
        parse("{\"size\": {\"shortest_edge\": 800, \"longest_edge\": 1333}}").size());
    assertEquals(new ResizeSpec.Exact(5, 6),
        parse("{\"do_center_crop\": true, \"crop_size\": {\"height\": 5, \"width\": 6}}").cropSize());
    assertEquals(new ResizeSpec.Exact(7, 7), parse("{\"do_center_crop\": true, \"crop_size\": 7}").cropSize());
    assertEquals(new ResizeSpec.ShortestEdge(384),
        parse("{\"image_processor_type\": \"ConvNextImageProcessor\"}").size());
  }

  @Test
  void everyResampleCode() {
    for (ResampleFilter filter : ResampleFilter.values()) {
      assertEquals(filter, parse("{\"resample\": " + filter.pillowCode + "}").resample());
    }
  }

  @Test
  void unsupportedValuesNameKeyAndValue() {
    assertRefused("{\"resample\": 7}", "'resample': 7");
    assertRefused("{\"resample\": \"bicubic\"}", "'resample': \"bicubic\"");
    assertRefused("{\"size\": {\"max_height\": 10, \"max_width\": 10}}", "'size'");
    assertRefused("{\"size\": -3}", "'size': -3");
    assertRefused("{\"do_resize\": \"yes\"}", "'do_resize': \"yes\"");
    assertRefused("{\"image_mean\": [0.5, 0.5]}", "'image_mean': [0.5,0.5]");
    assertRefused("{\"rescale_factor\": 0}", "'rescale_factor': 0");
    assertRefused("{\"image_processor_type\": \"DetrImageProcessor\"}", "'image_processor_type': \"DetrImageProcessor\"");
    assertRefused("{\"image_processor_type\": \"ConvNextImageProcessor\", \"size\": {\"height\": 2, \"width\": 2}}",
        "'size'");
    assertRefused("{\"do_center_crop\": true}", "crop_size");
  }

  @Test
  void readsFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("preprocessor_config.json");
    Files.writeString(file, "{\"size\": {\"height\": 8, \"width\": 9}, \"do_normalize\": false}");
    PreprocessorConfig c = PreprocessorConfig.fromFile(file);
    assertEquals(new ResizeSpec.Exact(8, 9), c.size());
    assertFalse(c.doNormalize());
  }

  private static void assertRefused(String json, String expectedInMessage) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(json), json);
    assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
  }

}
