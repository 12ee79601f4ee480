package io.vicinity.udfs.segment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.testing.Npy;
import java.io.ByteArrayInputStream;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Image files -> masks at each image's own size, against Hugging Face's post_process_semantic_segmentation
 * on the float64 model: decoding, Pillow-exact preprocessing, the model, the two bilinear resizes and the
 * arg-max together, read back from our PNGs with ImageIO.
 */
public class SegmentationInferenceTest {
  /** Pixels whose two best reference scores are closer than this may flip with float32 rounding. */
  static final double TIE_MARGIN = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {UperNetFixtures.FOUR_STAGES, UperNetFixtures.MANY_CLASSES})
  void masksMatchHuggingFaceAwayFromTies(String name) throws Exception {
    // Batches of 2 with 3 images: one full batch and one partial.
    assertMatchesHuggingFace(name, new SegmentationOptions(2, "cpu", true), TIE_MARGIN, 0.99, 0.5 + 1e-3);
  }

  /**
   * Runs fixture {@code name}'s images through SegmentationInference with {@code options} and checks the PNG masks
   * against Hugging Face's labels at every pixel whose two best reference scores are more than {@code tieMargin}
   * apart (at least {@code minCompared} of all pixels), the scores PNG against the reference probability to
   * {@code scoreLevels} of the 255 levels, and the class areas against the mask. Returns, over all images, the
   * fraction of pixels labelled as Hugging Face does and the fraction compared.
   */
  public static double[] assertMatchesHuggingFace(String name, SegmentationOptions options, double tieMargin,
      double minCompared, double scoreLevels) throws Exception {
    Path dir = UperNetFixtures.dir(name);
    List<ImageInput> inputs = UperNetFixtures.images(dir);
    Npy.Array logitsNpy = Npy.read(dir.resolve("logits.npy"));
    int classes = logitsNpy.shape()[1];
    int inH = logitsNpy.shape()[2];
    int inW = logitsNpy.shape()[3];
    double[] refLogits = UperNetFixtures.doubles(logitsNpy);

    long agreeing = 0;
    long comparedAll = 0;
    long pixelsAll = 0;
    try (SegmentationInference inference = SegmentationInference.open(dir.resolve("model"), options)) {
      List<SegmentationResult> results = inference.run(inputs);
      assertEquals(inputs.size(), results.size());
      for (int i = 0; i < results.size(); i++) {
        SegmentationResult r = results.get(i);
        assertNull(r.error(), r.error());
        assertEquals(inputs.get(i).path(), r.path());
        String[] size = r.path().split("_")[1].split("x");
        int width = Integer.parseInt(size[0]);
        int height = Integer.parseInt(size[1]);
        assertEquals(width, r.width());
        assertEquals(height, r.height());

        BufferedImage png = ImageIO.read(new ByteArrayInputStream(r.maskPng()));
        assertEquals(width, png.getWidth());
        assertEquals(height, png.getHeight());
        assertEquals(classes > 256 ? 16 : 8, png.getColorModel().getComponentSize(0), "mask bit depth");
        int[] mask = MaskPng.decodeSamples(r.maskPng());

        long[] hfLabels = Npy.read(dir.resolve(String.format("labels_%02d.npy", i))).longs();
        double[] ref = UperNetFixtures.imageChannelsLast(refLogits, i, classes, inH, inW);
        ReferencePixels pixels = ReferencePixels.of(ref, inH, inW, classes, height, width);
        int compared = 0;
        for (int p = 0; p < mask.length; p++) {
          agreeing += hfLabels[p] == mask[p] ? 1 : 0;
          if (pixels.margin[p] > tieMargin) {
            assertEquals(hfLabels[p], mask[p], name + " image " + i + " pixel (" + p % width + ", " + p / width
                + "), margin " + pixels.margin[p]);
            compared++;
          }
        }
        // The margin filter must not make the comparison vacuous.
        assertTrue(compared >= minCompared * mask.length, name + " image " + i + ": only " + compared + " of "
            + mask.length + " pixels are away from ties");

        assertScores(r.scoresPng(), pixels.topProbability, scoreLevels, name + " image " + i);
        assertClassAreas(r.classAreas(), mask, inference.labels());
        comparedAll += compared;
        pixelsAll += mask.length;
      }
    }
    return new double[] {(double) agreeing / pixelsAll, (double) comparedAll / pixelsAll};
  }

  /** round(255 p) of the reference probability, within {@code levels}. */
  private static void assertScores(byte[] png, double[] topProbability, double levels, String what) {
    assertNotNull(png, what + ": scores were asked for");
    int[] got = MaskPng.decodeSamples(png);
    assertEquals(topProbability.length, got.length);
    for (int p = 0; p < got.length; p++) {
      assertTrue(Math.abs(got[p] - 255 * topProbability[p]) <= levels,
          what + " score of pixel " + p + ": " + got[p] + " for p = " + topProbability[p]);
    }
  }

  /** Exactly the labels present in the mask, each with its pixel fraction, summing to 1. */
  private static void assertClassAreas(Map<String, Float> areas, int[] mask, List<String> labels) {
    long[] counts = new long[labels.size()];
    for (int label : mask) {
      counts[label]++;
    }
    double sum = 0;
    int present = 0;
    for (int c = 0; c < counts.length; c++) {
      if (counts[c] > 0) {
        present++;
        assertEquals(counts[c] / (double) mask.length, areas.get(labels.get(c)), 1e-6, labels.get(c));
      }
    }
    assertEquals(present, areas.size(), "only labels present: " + areas.keySet());
    for (float a : areas.values()) {
      sum += a;
    }
    assertEquals(1.0, sum, 1e-5);
  }

  @Test
  void scoresAreLeftOutUnlessAskedFor() throws Exception {
    Path dir = UperNetFixtures.dir(UperNetFixtures.FOUR_STAGES);
    List<ImageInput> inputs = UperNetFixtures.images(dir).subList(0, 1);
    try (var inference = SegmentationInference.open(dir.resolve("model"), new SegmentationOptions(4, "cpu", false))) {
      SegmentationResult r = inference.run(inputs).get(0);
      assertTrue(r.ok(), r.error());
      assertNull(r.scoresPng());
      assertNotNull(r.maskPng());
    }
  }

  @Test
  void badImagesYieldErrorResultsNextToGoodOnes() throws Exception {
    Path dir = UperNetFixtures.dir(UperNetFixtures.FOUR_STAGES);
    List<ImageInput> inputs = new ArrayList<>();
    inputs.add(new ImageInput("garbage.png", new byte[] {1, 2, 3, 4}));
    inputs.add(UperNetFixtures.images(dir).get(0));
    inputs.add(new ImageInput("empty.jpg", new byte[0]));
    try (var inference = SegmentationInference.open(dir.resolve("model"), new SegmentationOptions(4, "cpu", false))) {
      List<SegmentationResult> results = inference.run(inputs);
      assertEquals(3, results.size());
      for (int i : new int[] {0, 2}) {
        SegmentationResult bad = results.get(i);
        assertNotNull(bad.error());
        assertTrue(bad.error().contains(inputs.get(i).path()), bad.error());
        assertNull(bad.maskPng());
        assertNull(bad.classAreas());
      }
      assertTrue(results.get(1).ok(), results.get(1).error());
    }
  }

  /**
   * The reference logits resized to the image's size as torch does (written out here, independently of
   * BilinearResize): per pixel the gap between the two best classes and the softmax of the best.
   */
  record ReferencePixels(double[] margin, double[] topProbability) {
    static ReferencePixels of(double[] hwc, int h, int w, int c, int outH, int outW) {
      double[] margin = new double[outH * outW];
      double[] top = new double[outH * outW];
      double[] v = new double[c];
      for (int y = 0; y < outH; y++) {
        double sy = Math.max((y + 0.5) * h / outH - 0.5, 0);
        int y0 = Math.min((int) sy, h - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        double ly = sy - y0;
        for (int x = 0; x < outW; x++) {
          double sx = Math.max((x + 0.5) * w / outW - 0.5, 0);
          int x0 = Math.min((int) sx, w - 1);
          int x1 = Math.min(x0 + 1, w - 1);
          double lx = sx - x0;
          double best = Double.NEGATIVE_INFINITY;
          double second = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < c; k++) {
            v[k] = (1 - ly) * ((1 - lx) * hwc[(y0 * w + x0) * c + k] + lx * hwc[(y0 * w + x1) * c + k])
                + ly * ((1 - lx) * hwc[(y1 * w + x0) * c + k] + lx * hwc[(y1 * w + x1) * c + k]);
            if (v[k] > best) {
              second = best;
              best = v[k];
            } else if (v[k] > second) {
              second = v[k];
            }
          }
          double sum = 0;
          for (double value : v) {
            sum += Math.exp(value - best);
          }
          margin[y * outW + x] = best - second;
          top[y * outW + x] = 1 / sum;
        }
      }
      return new ReferencePixels(margin, top);
    }
  }
}
