package io.vicinity.udfs.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.testing.Compare;
import io.vicinity.udfs.testing.DirectPixelMemory;
import io.vicinity.udfs.testing.Npy;
import io.vicinity.udfs.testing.VideoFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Decoded clips -> results through VideoInference, against the fixtures' float64 references. */
class VideoInferenceTest {
  private static final InferenceOptions OPTIONS = new InferenceOptions(3, true, 4, "cpu");
  private static final Path DIR = VideoMaeParityTest.fixture("cls_keybias");
  private static VideoInference dense;

  @BeforeAll
  static void open() {
    dense = VideoInference.open(DIR.resolve("model"), OPTIONS, VideoAttention.DENSE);
  }

  @AfterAll
  static void close() {
    dense.close();
  }

  /** uint8 frames [2, T, H0, W0, 3] as clips. */
  private static List<VideoClip> rgbClips() {
    return VideoFixtures.readRgbClips(DIR.resolve("frames_u8.npy"));
  }

  /**
   * Clips holding only the window of each frame the preprocessing reads (what the decoder keeps) give the whole
   * frames' results exactly; a clip holding another window fails alone, saying so.
   */
  @Test
  void clipsOfTheWindowReadGiveTheWholeFramesResults() {
    List<VideoClip> whole = rgbClips();
    VideoClip first = whole.get(0);
    ByteResample.Window window = dense.framesWindow(first.height(), first.width());
    assertNotNull(window, "the fixture's 48x40 frames are center-cropped: only a window is read");
    assertTrue(window.width() < first.width(), window.toString());
    List<VideoClip> windowed = new ArrayList<>(VideoFixtures.windowed(dense, whole));
    byte[] shifted = new byte[window.bytes()];
    ByteResample.Window other = new ByteResample.Window(window.top(), window.left() - 1, window.height(),
        window.width());
    windowed.add(VideoClip.ofFrames("shifted", first.height(), first.width(), other,
        java.util.Collections.nCopies(first.frames(), shifted)));
    List<ClipResult> expected = dense.run(whole);
    List<ClipResult> actual = dense.run(windowed);
    for (int i = 0; i < whole.size(); i++) {
      assertTrue(actual.get(i).ok(), actual.get(i).error());
      assertArrayEquals(expected.get(i).embedding(), actual.get(i).embedding(), "clip " + i);
      assertArrayEquals(expected.get(i).logits(), actual.get(i).logits(), "clip " + i);
    }
    String error = actual.get(whole.size()).error();
    assertTrue(error != null && error.startsWith("shifted: cannot preprocess clip: shifted: its frames hold"),
        error);
    assertNull(dense.framesWindow(32, 32), "frames of the model's size are read whole");
  }

  @Test
  void rgbFramesArePreprocessedLikeImagesAndMatchHuggingFace() {
    List<ClipResult> results = dense.run(rgbClips());
    double[][] logits = Compare.rows(Npy.read(DIR.resolve("logits.npy")).doubles(), 2);
    double[][] pooled = Compare.rows(Npy.read(DIR.resolve("pooled.npy")).doubles(), 2);
    float[][] ourLogits = new float[2][];
    float[][] ourPooled = new float[2][];
    for (int i = 0; i < 2; i++) {
      ClipResult r = results.get(i);
      assertTrue(r.ok(), r.error());
      assertFalse(r.positionsExtended());
      assertEquals(1.0, r.attentionDensity());
      ourLogits[i] = r.logits();
      ourPooled[i] = r.embedding();
      assertEquals(3, r.topK().size());
      assertTrue(r.topK().get(0).label().startsWith("action_"), r.topK().toString());
      assertEquals(argmax(logits[i]), "abcde".indexOf(r.topK().get(0).label().charAt(7)), "top-1 of clip " + i);
    }
    // Preprocessing is Pillow-exact (the image tests show it), so the same tolerance as on pixel_values holds.
    VideoMaeParityTest.assertParity("rgb clips logits", ourLogits, logits);
    VideoMaeParityTest.assertParity("rgb clips pooled", ourPooled, pooled);
  }

  @Test
  void preprocessedPixelsGiveTheSameAsTheModel() {
    VideoFixtures.Clips clips = VideoFixtures.readClips(DIR.resolve("pixel_values.npy"));
    int per = clips.channelsLast().length / clips.count();
    List<ClipResult> results = dense.run(List.of(VideoClip.ofPixels("p0", clips.frames(), clips.height(),
        clips.width(), Arrays.copyOf(clips.channelsLast(), per))));
    double[][] logits = Compare.rows(Npy.read(DIR.resolve("logits.npy")).doubles(), 2);
    VideoMaeParityTest.assertParity("pixels logits", new float[][] {results.get(0).logits()},
        new double[][] {logits[0]});
  }

  @Test
  void offHeapPixelsGiveBitIdenticalResultsOneAllocationPerPassAllFreed() throws InterruptedException {
    VideoFixtures.Clips pixels = VideoFixtures.readClips(DIR.resolve("pixel_values.npy"));
    int per = pixels.channelsLast().length / pixels.count();
    List<VideoClip> clips = new ArrayList<>(rgbClips());
    clips.add(VideoClip.ofPixels("p0", pixels.frames(), pixels.height(), pixels.width(),
        Arrays.copyOf(pixels.channelsLast(), per)));
    List<ClipResult> heap = dense.run(clips);

    // Decoded clips wait as resized bytes, mapped to values by the backend: the bits of the host's floats.
    assertSameResults(heap.subList(0, 2), dense.run(VideoFixtures.preprocessedOnHost(DIR.resolve("model"),
        rgbClips())));

    DirectPixelMemory memory = new DirectPixelMemory(Integer.MAX_VALUE);
    assertSameResults(heap, dense.run(clips, memory));
    assertEquals(2, memory.allocations(), "one pass of the 2 decoded clips (bytes), one of the model-ready clip");
    assertEquals(0, memory.open(), "freed after the pass");

    // Room for one clip only (as many bytes as a model-ready clip has values): the batch of decoded clips is
    // split until it fits; the results do not change.
    DirectPixelMemory small = new DirectPixelMemory(per);
    assertSameResults(heap, dense.run(clips, small));
    assertEquals(3, small.allocations());
    assertEquals(0, small.open());

    ClipResult none = dense.run(clips.subList(0, 1), new DirectPixelMemory(per - 1)).get(0);
    assertTrue(none.error().contains("clip0: no memory for the preprocessed clip"), none.error());
  }

  private static void assertSameResults(List<ClipResult> expected, List<ClipResult> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertTrue(actual.get(i).ok(), actual.get(i).error());
      assertArrayEquals(expected.get(i).embedding(), actual.get(i).embedding(), "embedding of clip " + i);
      assertArrayEquals(expected.get(i).logits(), actual.get(i).logits(), "logits of clip " + i);
    }
  }

  @Test
  void longClipWithRadialAttentionReportsExtensionAndDensity() {
    VideoFixtures.Clips clip = VideoFixtures.readClips(DIR.resolve("long_pixel_values.npy"));
    try (VideoInference radial = VideoInference.open(DIR.resolve("model"), OPTIONS, VideoAttention.radial(1, 1.0, false))) {
      ClipResult r = radial.run(List.of(VideoClip.ofPixels("long", clip.frames(), clip.height(), clip.width(),
          clip.channelsLast()))).get(0);
      assertTrue(r.ok(), r.error());
      assertTrue(r.positionsExtended());
      assertEquals((1 + 0.712890625) / 2, r.attentionDensity(), 1e-12);
      VideoMaeParityTest.assertParity("long radial logits", new float[][] {r.logits()},
          new double[][] {Npy.read(DIR.resolve("long_radial_logits.npy")).doubles()});
    }
  }

  @Test
  void badClipsYieldErrorsNotExceptions() {
    List<VideoClip> clips = new ArrayList<>(rgbClips());
    clips.add(VideoClip.ofPixels("odd-frames", 3, 32, 32, new float[3 * 32 * 32 * 3]));
    clips.add(VideoClip.ofPixels("wrong-size", 2, 16, 16, new float[2 * 16 * 16 * 3]));
    List<ClipResult> results = dense.run(clips);
    assertTrue(results.get(0).ok() && results.get(1).ok());
    ClipResult odd = results.get(2);
    assertNull(odd.embedding());
    assertTrue(odd.error().contains("odd-frames") && odd.error().contains("tubelet_size 2"), odd.error());
    ClipResult small = results.get(3);
    assertNotNull(small.error());
    assertTrue(small.error().contains("16x16") && small.error().contains("32x32"), small.error());
  }

  private static int argmax(double[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
