package io.vicinity.udfs.video.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.image.RgbImage;
import io.vicinity.udfs.testing.DirectPixelMemory;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Npy;
import io.vicinity.udfs.video.ClipResult;
import io.vicinity.udfs.video.VideoAttention;
import io.vicinity.udfs.video.VideoClip;
import io.vicinity.udfs.video.VideoInference;
import io.vicinity.udfs.video.decode.ClipSampling.Partial;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VideoMAE fixture model on clips decoded from a lossless video of the fixture's own uint8 frames: the rows
 * must equal VideoInference run on those frames directly (decode, sampling and padding add nothing).
 */
class VideoPipelineTest {
  private static final Path DIR = Fixtures.dir("fixtures/videomae/cls_keybias");
  private static final InferenceOptions OPTIONS = new InferenceOptions(3, true, 4, "cpu");
  private static VideoInference inference;
  /** The fixture's 2 clips x 8 frames of 48x40, as 16 consecutive frames. */
  private static List<RgbImage> frames;

  @TempDir
  Path dir;

  @BeforeAll
  static void open() {
    inference = VideoInference.open(DIR.resolve("model"), OPTIONS, VideoAttention.DENSE);
    Npy.Array a = Npy.read(DIR.resolve("frames_u8.npy"));
    int[] s = a.shape(); // [2, 8, 40, 48, 3]
    byte[] all = a.bytes();
    int per = s[2] * s[3] * 3;
    frames = new ArrayList<>();
    for (int i = 0; i < s[0] * s[1]; i++) {
      frames.add(new RgbImage(s[3], s[2], Arrays.copyOfRange(all, i * per, (i + 1) * per)));
    }
  }

  @AfterAll
  static void close() {
    inference.close();
  }

  /** VideoInference on the original frames at {@code indices} (clip order). */
  private static List<ClipResult> direct(int[]... clips) {
    List<VideoClip> in = new ArrayList<>();
    for (int[] idx : clips) {
      RgbImage first = frames.get(idx[0]);
      List<byte[]> rgb = new ArrayList<>();
      for (int i : idx) {
        rgb.add(frames.get(i).rgb());
      }
      in.add(VideoClip.ofFrames("direct", first.height(), first.width(), rgb));
    }
    return inference.run(in);
  }

  private static void assertSameAsDirect(VideoClipRow row, ClipResult expected) {
    assertTrue(row.ok(), row.error());
    assertTrue(expected.ok(), expected.error());
    assertArrayEquals(expected.embedding(), row.embedding(), "embedding of clip " + row.clipIndex());
    assertArrayEquals(expected.logits(), row.logits(), "logits of clip " + row.clipIndex());
    assertEquals(expected.topK(), row.topK());
  }

  private Path video(int count) {
    return TestVideos.write(dir, "fixture" + count, TestVideos.Kind.FFV1_MKV, frames.subList(0, count), 25);
  }

  @Test
  void defaultClipsOfADecodedVideoEqualTheModelOnTheFramesDirectly() {
    List<VideoClipRow> rows = new VideoPipeline(inference, ClipSampling.DEFAULTS, 4).run("s3a://b/v.mkv", video(16));
    assertEquals(2, rows.size());
    List<ClipResult> expected = direct(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, new int[] {8, 9, 10, 11, 12, 13, 14, 15});
    for (int k = 0; k < 2; k++) {
      VideoClipRow r = rows.get(k);
      assertSameAsDirect(r, expected.get(k));
      assertEquals("s3a://b/v.mkv", r.path());
      assertEquals(k, r.clipIndex());
      assertEquals(k * 320L, r.startMs());
      assertEquals(k * 320L + 320, r.endMs());
      assertEquals(8, r.frames());
      assertEquals(false, r.padded());
      assertEquals(false, r.positionsExtended());
      assertEquals(1.0, r.attentionDensity());
      assertEquals("dense", r.attention());
      assertEquals(3, r.topK().size());
    }
  }

  @Test
  void withPixelMemoryTheRowsAreBitIdenticalAndEveryAllocationIsFreed() {
    Path file = video(16);
    List<VideoClipRow> heap = new VideoPipeline(inference, ClipSampling.DEFAULTS, 4).run("v.mkv", file);
    DirectPixelMemory memory = new DirectPixelMemory(Integer.MAX_VALUE);
    List<VideoClipRow> offHeap = new VideoPipeline(inference, ClipSampling.DEFAULTS, 4, memory).run("v.mkv", file);
    assertEquals(2, offHeap.size());
    for (int k = 0; k < 2; k++) {
      assertTrue(offHeap.get(k).ok(), offHeap.get(k).error());
      assertArrayEquals(heap.get(k).embedding(), offHeap.get(k).embedding(), "embedding of clip " + k);
      assertArrayEquals(heap.get(k).logits(), offHeap.get(k).logits(), "logits of clip " + k);
    }
    assertEquals(1, memory.allocations(), "both clips in one pass");
    assertEquals(0, memory.open());
  }

  @Test
  void aVideoEndingEarlyPadsItsLastClipByRepeatingTheLastFrameOrDropsIt() {
    Path file = video(12);
    List<VideoClipRow> rows = new VideoPipeline(inference, ClipSampling.DEFAULTS, 4).run("v.mkv", file);
    assertEquals(2, rows.size());
    VideoClipRow last = rows.get(1);
    assertSameAsDirect(last, direct(new int[] {8, 9, 10, 11, 11, 11, 11, 11}).get(0));
    assertEquals(true, last.padded());
    assertEquals(4, last.frames());
    assertEquals(320, last.startMs());
    assertEquals(480, last.endMs(), "ends with the last real frame");

    ClipSampling drop = new ClipSampling(0, 1, 0, 0, Partial.DROP);
    List<VideoClipRow> kept = new VideoPipeline(inference, drop, 4).run("v.mkv", file);
    assertEquals(1, kept.size());
    assertEquals(0, kept.get(0).clipIndex());
    VideoClipRow none = new VideoPipeline(inference, drop, 4).run("v.mkv", video(6)).get(0);
    assertNull(none.clipIndex());
    assertTrue(none.error().startsWith("v.mkv: no clips: 6 frames"), none.error());
  }

  @Test
  void frameStrideClipStrideAndMaxClipsPickTheRightFrames() {
    Path file = video(16);
    // Every 2nd frame, clips of 4 starting every 2 sampled frames: [0 2 4 6] [4 6 8 10] [8 10 12 14] [12 14 14 14].
    List<VideoClipRow> rows = new VideoPipeline(inference, new ClipSampling(4, 2, 2, 0, Partial.PAD), 2)
        .run("v.mkv", file);
    List<ClipResult> expected = direct(new int[] {0, 2, 4, 6}, new int[] {4, 6, 8, 10}, new int[] {8, 10, 12, 14},
        new int[] {12, 14, 14, 14});
    assertEquals(4, rows.size());
    for (int k = 0; k < 4; k++) {
      assertEquals(k, rows.get(k).clipIndex());
      assertEquals(k * 160L, rows.get(k).startMs());
      assertSameAsDirect(rows.get(k), expected.get(k));
    }
    assertEquals(600, rows.get(3).endMs());
    assertTrue(rows.get(3).padded());
    assertEquals(2, rows.get(3).frames());

    List<VideoClipRow> one = new VideoPipeline(inference, new ClipSampling(4, 2, 2, 1, Partial.PAD), 2)
        .run("v.mkv", file);
    assertEquals(1, one.size());
    assertSameAsDirect(one.get(0), expected.get(0));
  }

  @Test
  void badVideosGiveOneErrorRowAndNoException() throws IOException {
    VideoPipeline pipeline = new VideoPipeline(inference, ClipSampling.DEFAULTS, 4);
    Path cut = TestVideos.truncated(video(16), 0.5);
    Path junk = Files.write(dir.resolve("junk.mp4"), new byte[] {0, 0, 0, 24, 'f', 't', 'y', 'p', 1, 2, 3});
    Path empty = Files.createFile(dir.resolve("empty.mkv"));
    for (Path bad : List.of(cut, junk, empty)) {
      List<VideoClipRow> rows = pipeline.run("s3a://b/" + bad.getFileName(), bad);
      assertEquals(1, rows.size(), bad.toString());
      VideoClipRow r = rows.get(0);
      assertNull(r.clipIndex());
      assertNull(r.embedding());
      assertEquals("dense", r.attention());
      assertNotNull(r.error());
      assertTrue(r.error().startsWith("s3a://b/" + bad.getFileName() + ": "), r.error());
    }
    VideoClipRow failedCopy = pipeline.run("s3a://b/gone.mp4", (p, t) -> {
      throw new IOException("404");
    }, dir).get(0);
    assertTrue(failedCopy.error().contains("404"), failedCopy.error());
  }

  @Test
  void remotePathsAndBytesGoThroughTemporaryCopies() throws IOException {
    Path file = video(16);
    VideoPipeline pipeline = new VideoPipeline(inference, ClipSampling.DEFAULTS, 4);
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    List<VideoClipRow> viaSource = pipeline.run("s3a://b/v.mkv",
        (p, target) -> Files.copy(file, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING), tmp);
    List<VideoClipRow> viaBytes = pipeline.run("s3a://b/v.mkv", Files.readAllBytes(file), tmp);
    List<VideoClipRow> local = pipeline.run("s3a://b/v.mkv", file);
    for (List<VideoClipRow> rows : List.of(viaSource, viaBytes)) {
      assertEquals(2, rows.size());
      for (int k = 0; k < 2; k++) {
        assertArrayEquals(local.get(k).embedding(), rows.get(k).embedding());
      }
    }
    try (var s = Files.list(tmp)) {
      assertEquals(0, s.count(), "temporary copies removed");
    }
  }

  @Test
  void clipFramesMustFitTheTubelet() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new VideoPipeline(inference, new ClipSampling(3, 1, 0, 0, Partial.PAD), 4));
    assertTrue(e.getMessage().contains("tubelet_size 2"), e.getMessage());
    assertEquals(new ClipSampling(8, 1, 8, 0, Partial.PAD),
        new VideoPipeline(inference, ClipSampling.DEFAULTS, 4).sampling());
    assertFalse(new VideoPipeline(inference, ClipSampling.DEFAULTS, 4).sampling().partial() == Partial.DROP);
  }
}
