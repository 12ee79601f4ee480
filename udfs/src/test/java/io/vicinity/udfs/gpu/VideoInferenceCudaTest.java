package io.vicinity.udfs.gpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.Precision;
import io.vicinity.udfs.testing.Compare;
import io.vicinity.udfs.testing.DirectPixelMemory;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Npy;
import io.vicinity.udfs.testing.VideoFixtures;
import io.vicinity.udfs.video.ClipResult;
import io.vicinity.udfs.video.VideoAttention;
import io.vicinity.udfs.video.VideoClip;
import io.vicinity.udfs.video.VideoInference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * VideoInference on CUDA, the way the job runs it: clips written into off-heap memory give bit for bit the
 * results of the heap path (both reach the device through the same staging), every allocation is freed,
 * and in fp32 the logits match Hugging Face's float64 reference.
 */
class VideoInferenceCudaTest {

  @ParameterizedTest
  @ValueSource(strings = {"fp32", "bf16"})
  void offHeapClipsGiveTheHeapPathsResults(String precision) throws Exception {
    DinatCudaParityTest.gpuOrSkip(Precision.computeType(precision)).close();
    Path dir = Fixtures.dir("fixtures/videomae/cls_keybias");
    VideoFixtures.Clips pixels = VideoFixtures.readClips(dir.resolve("pixel_values.npy"));
    int per = pixels.channelsLast().length / pixels.count();
    List<VideoClip> clips = new ArrayList<>();
    for (int i = 0; i < pixels.count(); i++) {
      clips.add(VideoClip.ofPixels("clip" + i, pixels.frames(), pixels.height(), pixels.width(),
          Arrays.copyOfRange(pixels.channelsLast(), i * per, (i + 1) * per)));
    }
    InferenceOptions options = new InferenceOptions(3, true, 4, "cuda", precision);
    try (VideoInference video = VideoInference.open(dir.resolve("model"), options, VideoAttention.DENSE)) {
      List<ClipResult> heap = video.run(clips);
      DirectPixelMemory memory = new DirectPixelMemory(Integer.MAX_VALUE);
      List<ClipResult> offHeap = video.run(clips, memory);
      assertEquals(0, memory.open(), "off-heap clip memory freed after the pass");
      assertSameBitsNearHuggingFace("video files->logits", precision, heap, offHeap, dir);
    }
  }

  /**
   * {@code actual} has {@code expected}'s embeddings and logits bit for bit, and its logits are within the
   * precision's tolerance of Hugging Face's (the fixture's logits.npy).
   */
  private static void assertSameBitsNearHuggingFace(String what, String precision, List<ClipResult> expected,
      List<ClipResult> actual, Path dir) {
    double[][] reference = Compare.rows(Npy.read(dir.resolve("logits.npy")).doubles(), expected.size());
    for (int i = 0; i < expected.size(); i++) {
      assertTrue(actual.get(i).ok(), actual.get(i).error());
      assertArrayEquals(expected.get(i).embedding(), actual.get(i).embedding(), "embedding of clip " + i);
      assertArrayEquals(expected.get(i).logits(), actual.get(i).logits(), "logits of clip " + i);
      double error = Compare.maxRelativeError(actual.get(i).logits(), reference[i]);
      System.out.printf("[gpu-parity] %s %s clip %d: relative error %.3g%n", what, precision, i, error);
      assertTrue(error < (precision.equals("fp32") ? 1e-4 : 1e-2), precision + " clip " + i + ": " + error);
    }
  }

  /**
   * Decoded clips go to the GPU as bytes, are resized (small frames) and mapped to values there
   * ({@code fromHostBytes}): the results of the same clips preprocessed to float32 on the host, bit for bit, and
   * Hugging Face's logits. Frames with many more pixels than the model's are resized on the host first: the
   * same bits again.
   */
  @ParameterizedTest
  @ValueSource(strings = {"fp32", "bf16"})
  void decodedClipsTravelAsBytesWithTheHostFloatsResults(String precision) throws Exception {
    DinatCudaParityTest.gpuOrSkip(Precision.computeType(precision)).close();
    Path dir = Fixtures.dir("fixtures/videomae/cls_keybias");
    List<VideoClip> rgb = VideoFixtures.readRgbClips(dir.resolve("frames_u8.npy"));
    InferenceOptions options = new InferenceOptions(3, true, 4, "cuda", precision);
    try (VideoInference video = VideoInference.open(dir.resolve("model"), options, VideoAttention.DENSE)) {
      List<ClipResult> floats = video.run(VideoFixtures.preprocessedOnHost(dir.resolve("model"), rgb));
      DirectPixelMemory memory = new DirectPixelMemory(Integer.MAX_VALUE);
      List<ClipResult> bytes = video.run(rgb, memory);
      assertEquals(1, memory.allocations(), "one pass of bytes");
      assertEquals(0, memory.open(), "freed after the pass");
      assertSameBitsNearHuggingFace("video rgb bytes->logits", precision, floats, bytes, dir);
      // Clips of the window each frame's resize reads (as the decoder gives them) go up as they are: same bits.
      List<ClipResult> windowed = video.run(VideoFixtures.windowed(video, rgb), memory);
      assertSameBitsNearHuggingFace("video rgb window bytes->logits", precision, floats, windowed, dir);
      List<VideoClip> large = new ArrayList<>();
      Random rnd = new Random(3);
      for (int i = 0; i < 2; i++) {
        byte[] frames = new byte[rgb.get(0).frames() * 240 * 320 * 3];
        rnd.nextBytes(frames);
        large.add(VideoClip.ofContiguousRgb("large" + i, rgb.get(0).frames(), 240, 320, frames));
      }
      List<ClipResult> hostFloats = video.run(VideoFixtures.preprocessedOnHost(dir.resolve("model"), large));
      List<ClipResult> hostResized = video.run(large, memory);
      List<ClipResult> hostResizedWindows = video.run(VideoFixtures.windowed(video, large), memory);
      for (int i = 0; i < large.size(); i++) {
        assertTrue(hostResized.get(i).ok(), hostResized.get(i).error());
        assertArrayEquals(hostFloats.get(i).embedding(), hostResized.get(i).embedding(), "large clip " + i);
        assertTrue(hostResizedWindows.get(i).ok(), hostResizedWindows.get(i).error());
        assertArrayEquals(hostFloats.get(i).embedding(), hostResizedWindows.get(i).embedding(), "large window " + i);
      }
    }
  }
}
