package io.vicinity.udfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.testing.Compare;
import io.vicinity.udfs.testing.DirectPixelMemory;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Image files -> outputs, against Hugging Face: decoding, Pillow-exact resizing, normalisation and the
 * float64 model together. The fixture images need resizing (up and down, non-square) and include
 * grayscale and RGBA files, so conversion to RGB is covered too.
 */
class ImageInferenceParityTest {

  @ParameterizedTest
  @ValueSource(strings = {"k7_classifier_safetensors", "k3_layerscale_sharded", "k5_model_bin"})
  void filesToOutputsMatchHuggingFace(String name) throws Exception {
    Path dir = Fixtures.dir("fixtures/dinat/" + name);
    List<ImageInput> inputs = fixtureImages(dir);
    // A batch size smaller than the image count exercises batching; top-k 3 with logits.
    var options = new InferenceOptions(3, true, 2, "cpu");
    try (ImageInference inference = ImageInference.open(dir.resolve("model"), options)) {
      List<ImageResult> results = inference.run(inputs);
      assertEquals(inputs.size(), results.size());
      int n = results.size();
      float[][] pooled = new float[n][];
      float[][] logits = new float[n][];
      for (int i = 0; i < n; i++) {
        ImageResult r = results.get(i);
        assertNull(r.error(), r.error());
        assertEquals(inputs.get(i).path(), r.path());
        String[] size = r.path().split("_")[1].split("x");
        assertEquals(Integer.parseInt(size[0]), r.width());
        assertEquals(Integer.parseInt(size[1]), r.height());
        pooled[i] = r.embedding();
        logits[i] = r.logits();
      }
      DinatParity.assertRows(name + " pooled", pooled,
          Compare.rows(Npy.read(dir.resolve("pooled.npy")).doubles(), n));
      if (inference.hasClassifier()) {
        double[][] ref = Compare.rows(Npy.read(dir.resolve("logits.npy")).doubles(), n);
        DinatParity.assertRows(name + " logits", logits, ref);
        for (int i = 0; i < n; i++) {
          assertTopK(results.get(i).topK(), ref[i]);
        }
      } else {
        results.forEach(r -> assertTrue(r.topK().isEmpty()));
      }
    }
  }

  /**
   * The Spark job's path: images decoded into off-heap memory as their resized RGB bytes, mapped to the model's
   * input by the preprocessor's per-channel table on the backend, give the heap path's outputs bit for bit.
   */
  @org.junit.jupiter.api.Test
  void imagesOffTheHeapAsBytesGiveTheHeapPathsOutputsExactly() throws Exception {
    Path dir = Fixtures.dir("fixtures/dinat/k7_classifier_safetensors");
    List<ImageInput> inputs = fixtureImages(dir);
    DirectPixelMemory memory = new DirectPixelMemory(Integer.MAX_VALUE);
    try (ImageInference inference = ImageInference.open(dir.resolve("model"), new InferenceOptions(3, true, 2, "cpu"))) {
      List<ImageResult> heap = inference.run(inputs);
      List<ImagePipeline.Prepared> prepared = new ArrayList<>();
      for (ImageInput in : inputs) {
        ImagePipeline.Prepared p = inference.decode(in, memory).prepared();
        assertEquals(3L * p.size().height() * p.size().width(), p.offHeap().buffer().capacity(), "uint8 RGB bytes");
        prepared.add(p);
      }
      List<ImageResult> offHeap = inference.infer(prepared);
      prepared.forEach(p -> p.offHeap().close());
      for (int i = 0; i < inputs.size(); i++) {
        assertArrayEquals(heap.get(i).embedding(), offHeap.get(i).embedding(), 0f, inputs.get(i).path());
        assertArrayEquals(heap.get(i).logits(), offHeap.get(i).logits(), 0f, inputs.get(i).path());
      }
    }
    assertEquals(0, memory.open(), "every image's memory closed");
  }

  /** A fixture directory's images/ files as inputs, in name order. */
  static List<ImageInput> fixtureImages(Path dir) throws java.io.IOException {
    List<ImageInput> inputs = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("images"))) {
      for (Path p : files.sorted().toList()) {
        inputs.add(new ImageInput(p.getFileName().toString(), Files.readAllBytes(p)));
      }
    }
    return inputs;
  }

  /** top_k holds the softmax of the reference logits, best first, named by id2label ("class_<letter>"). */
  private static void assertTopK(List<ScoredLabel> topK, double[] refLogits) {
    assertEquals(Math.min(3, refLogits.length), topK.size());
    double max = Double.NEGATIVE_INFINITY;
    for (double v : refLogits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (double v : refLogits) {
      sum += Math.exp(v - max);
    }
    for (ScoredLabel s : topK) {
      assertNotNull(s.label());
      int index = s.label().charAt("class_".length()) - 'a';
      double expected = Math.exp(refLogits[index] - max) / sum;
      assertEquals(expected, s.score(), 1e-5, s.label());
    }
    for (int i = 1; i < topK.size(); i++) {
      assertTrue(topK.get(i - 1).score() >= topK.get(i).score());
    }
  }
}
