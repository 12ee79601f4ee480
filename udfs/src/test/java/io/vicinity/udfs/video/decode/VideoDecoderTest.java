package io.vicinity.udfs.video.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.image.RgbImage;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Decoding videos written by FFmpeg itself: exact frames (FFV1), timestamps, and every kind of bad file. */
class VideoDecoderTest {
  @TempDir
  Path dir;

  @Test
  void nativesLoadOnThisPlatform() {
    String version = VideoDecoder.ffmpegVersion();
    assertTrue(version.matches("\\d+\\.\\d+.*"), version);
  }

  @Test
  void losslessFfv1GivesBackExactlyTheFramesWritten() {
    List<RgbImage> written = TestVideos.noise(7, 50, 30, 1);
    Path file = TestVideos.write(dir, "noise", TestVideos.Kind.FFV1_MKV, written, 25);
    try (VideoDecoder d = VideoDecoder.open("noise.mkv", file)) {
      VideoInfo info = d.info();
      assertEquals("ffv1", info.codec());
      assertTrue(info.container().contains("matroska"), info.container());
      assertEquals(50, info.width());
      assertEquals(30, info.height());
      assertEquals(25.0, info.frameRate(), 1e-9);
      assertEquals(280, info.durationMs(), 1, "7 frames at 25 fps");
      for (int i = 0; i < written.size(); i++) {
        DecodedFrame f = d.next();
        assertEquals(i, f.index());
        assertEquals(i * 40L, f.timestampMs(), "timestamp of frame " + i);
        assertEquals(i * 40L + 40, f.endMs());
        assertEquals(50, f.image().width());
        assertEquals(30, f.image().height());
        assertArrayEquals(written.get(i).rgb(), f.image().rgb(), "frame " + i);
      }
      assertEquals(null, d.next());
      assertEquals(null, d.next(), "stays at the end");
      assertEquals(7, d.framesDecoded());
    }
  }

  /**
   * 4:2:0 video converted to RGB as OpenCV's FFmpeg reader does, byte for byte (scripts/reference/
   * make_video_decode_fixture.py: uniform noise, so chroma upsampling and rounding both show).
   */
  @Test
  void yuvFramesBecomeTheRgbOpenCvReads() {
    Path fixture = Fixtures.dir("fixtures/video-decode");
    Npy.Array expected = Npy.read(fixture.resolve("noise_mpeg4_rgb.npy"));
    int[] s = expected.shape();
    int per = s[1] * s[2] * 3;
    List<DecodedFrame> frames = VideoDecoder.readAll("noise_mpeg4.mp4", fixture.resolve("noise_mpeg4.mp4"));
    assertEquals(s[0], frames.size());
    for (int i = 0; i < s[0]; i++) {
      assertArrayEquals(Arrays.copyOfRange(expected.bytes(), i * per, (i + 1) * per), frames.get(i).image().rgb(),
          "frame " + i);
    }
  }

  @ParameterizedTest
  @EnumSource(value = TestVideos.Kind.class, names = {"H264_MP4", "VP9_WEBM", "MPEG4_MKV"})
  void lossyCodecsDecodeEveryFrameCloseToTheOriginal(TestVideos.Kind kind) {
    assumeTrue(kind.available(), kind.codec + " encoder not in this FFmpeg build");
    List<RgbImage> written = TestVideos.frames(12, 48, 40, 2);
    Path file = TestVideos.write(dir, "smooth", kind, written, 30);
    List<DecodedFrame> frames = VideoDecoder.readAll(file.getFileName().toString(), file);
    assertEquals(12, frames.size(), kind.toString());
    for (int i = 0; i < frames.size(); i++) {
      DecodedFrame f = frames.get(i);
      assertEquals(i, f.index());
      assertEquals(Math.round(i * 1000 / 30.0), f.timestampMs(), 1, kind + " frame " + i);
      double diff = TestVideos.meanAbsDiff(written.get(i), f.image());
      // Close to its own frame, not to a neighbour: the blue channel changes by 20 per frame.
      assertTrue(diff < 6, kind + " frame " + i + " differs by " + diff);
    }
  }

  /** Frames between the sampled ones are decoded (later ones are predicted from them) but not converted. */
  @ParameterizedTest
  @EnumSource(value = TestVideos.Kind.class, names = {"FFV1_MKV", "H264_MP4"})
  void framesOffThePixelStrideComeWithoutPixelsAndTheRestAreUnchanged(TestVideos.Kind kind) {
    assumeTrue(kind.available(), kind.codec + " encoder not in this FFmpeg build");
    Path file = TestVideos.write(dir, "strided", kind, TestVideos.noise(11, 48, 40, 6), 25);
    List<DecodedFrame> every = VideoDecoder.readAll("strided", file);
    try (VideoDecoder d = VideoDecoder.open("strided", file).pixelsEvery(3)) {
      assertThrows(IllegalArgumentException.class, () -> d.pixelsEvery(0));
      for (DecodedFrame all : every) {
        DecodedFrame f = d.next();
        assertEquals(all.index(), f.index());
        assertEquals(all.timestampMs(), f.timestampMs(), "timestamp of frame " + f.index());
        assertEquals(all.endMs(), f.endMs());
        if (f.index() % 3 == 0) {
          assertArrayEquals(all.image().rgb(), f.image().rgb(), "frame " + f.index());
        } else {
          assertEquals(null, f.image(), "frame " + f.index());
        }
      }
      assertEquals(null, d.next());
    }
  }

  /**
   * A window's pixels, converted from a region just around it, are the whole frame's conversion's byte for byte:
   * grainy frames, so any chroma sample read from the wrong place or clamped at the region's edge shows. Windows inside
   * the frame, on each edge, in a corner, and all of it; 4:2:0 (H.264, VP9, MPEG-4) and packed RGB (FFV1).
   */
  @ParameterizedTest
  @EnumSource(value = TestVideos.Kind.class, names = {"FFV1_MKV", "H264_MP4", "VP9_WEBM", "MPEG4_MKV"})
  void framesWithinAWindowHoldThatWindowOfTheWholeFrameExactly(TestVideos.Kind kind) {
    assumeTrue(kind.available(), kind.codec + " encoder not in this FFmpeg build");
    int width = 160;
    int height = 96;
    Path file = TestVideos.write(dir, "windowed", kind, TestVideos.grain(6, width, height, 8), 25);
    List<DecodedFrame> whole = VideoDecoder.readAll("windowed", file);
    List<ByteResample.Window> windows = List.of(
        new ByteResample.Window(37, 53, 21, 41), // inside, odd edges: the region is smaller on all four sides
        new ByteResample.Window(0, 61, height, 54), // full height: a wide frame's center crop
        new ByteResample.Window(33, 0, 47, width), // full width: a tall frame's
        new ByteResample.Window(85, 147, 11, 13), // the bottom right corner
        new ByteResample.Window(0, 0, 9, 3),
        new ByteResample.Window(0, 0, height, width));
    for (ByteResample.Window w : windows) {
      try (VideoDecoder d = VideoDecoder.open("windowed", file).pixelsWithin(w).pixelsEvery(2)) {
        for (DecodedFrame all : whole) {
          DecodedFrame f = d.next();
          assertEquals(all.index(), f.index());
          assertEquals(height, f.height());
          assertEquals(width, f.width());
          assertEquals(w, f.window());
          if (f.index() % 2 == 0) {
            assertArrayEquals(w.cut(all.image().rgb(), 0, width), f.image().rgb(),
                kind + ", " + w + ", frame " + f.index());
          } else {
            assertEquals(null, f.image());
          }
        }
        assertEquals(null, d.next());
      }
    }
    try (VideoDecoder d = VideoDecoder.open("windowed", file)) {
      assertThrows(IllegalArgumentException.class, () -> d.pixelsWithin(new ByteResample.Window(85, 147, 12, 13)));
      assertThrows(IllegalArgumentException.class, () -> d.pixelsWithin(new ByteResample.Window(0, -1, 5, 5)));
    }
  }

  @Test
  void mp4DeclaresItsFrameCount() {
    assumeTrue(TestVideos.Kind.H264_MP4.available());
    Path file = TestVideos.write(dir, "count", TestVideos.Kind.H264_MP4, TestVideos.frames(10, 32, 32, 3), 25);
    try (VideoDecoder d = VideoDecoder.open("count.mp4", file)) {
      assertEquals("h264", d.info().codec());
      assertEquals(10, d.info().declaredFrames());
    }
  }

  @ParameterizedTest
  @EnumSource(value = TestVideos.Kind.class, names = {"FFV1_MKV", "H264_MP4", "H264_MP4_FASTSTART", "VP9_WEBM"})
  void aFileCutInHalfIsAnErrorNotFewerFrames(TestVideos.Kind kind) {
    assumeTrue(kind.available(), kind.codec + " encoder not in this FFmpeg build");
    Path file = TestVideos.write(dir, "whole", kind, TestVideos.noise(20, 48, 40, 4), 25);
    Path cut = TestVideos.truncated(file, 0.5);
    VideoDecodeException e = assertThrows(VideoDecodeException.class,
        () -> VideoDecoder.readAll("s3a://bucket/cut" + kind.extension, cut));
    assertTrue(e.getMessage().startsWith("s3a://bucket/cut" + kind.extension + ": "), e.getMessage());
    assertTrue(e.getMessage().matches(".*(truncated|damaged|corrupt).*"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(value = TestVideos.Kind.class, names = {"FFV1_MKV", "VP9_WEBM", "H264_MP4_FASTSTART"})
  void aFileMissingOnlyItsLastFrameIsAlsoTruncated(TestVideos.Kind kind) throws IOException {
    assumeTrue(kind.available(), kind.codec + " encoder not in this FFmpeg build");
    Path file = TestVideos.write(dir, "long", kind, TestVideos.noise(40, 48, 40, 5), 25);
    assertEquals(40, VideoDecoder.readAll("long", file).size(), "the whole file decodes");
    // Matroska ends with its index (cues), MP4 with the last frames: 98% of the bytes lose about one frame.
    Path cut = TestVideos.truncated(file, 0.98);
    VideoDecodeException e = assertThrows(VideoDecodeException.class, () -> VideoDecoder.readAll("long", cut));
    assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("corrupt"), e.getMessage());
  }

  @Test
  void randomBytesAreNotAVideo() throws IOException {
    byte[] junk = new byte[50_000];
    new Random(6).nextBytes(junk);
    Path file = Files.write(dir.resolve("junk.mp4"), junk);
    VideoDecodeException e = assertThrows(VideoDecodeException.class, () -> VideoDecoder.open("junk.mp4", file));
    assertTrue(e.getMessage().startsWith("junk.mp4: cannot open as a video"), e.getMessage());
  }

  @Test
  void emptyAndMissingFilesAreErrors() throws IOException {
    Path empty = Files.createFile(dir.resolve("empty.webm"));
    assertEquals("empty.webm: empty file",
        assertThrows(VideoDecodeException.class, () -> VideoDecoder.open("empty.webm", empty)).getMessage());
    Path missing = dir.resolve("nope.mkv");
    assertTrue(assertThrows(VideoDecodeException.class, () -> VideoDecoder.open("nope.mkv", missing)).getMessage()
        .startsWith("nope.mkv: no such file"));
  }

  @Test
  void framesLargerThanTheLimitAreRefusedBeforeDecoding() {
    Path file = TestVideos.write(dir, "big", TestVideos.Kind.FFV1_MKV, TestVideos.noise(2, 64, 48, 7), 25);
    VideoDecodeException e = assertThrows(VideoDecodeException.class, () -> VideoDecoder.open("big.mkv", file, 1000));
    assertTrue(e.getMessage().contains("64x48 exceed the limit of 1000 pixels"), e.getMessage());
  }

  @Test
  void matroskaDurationTagsParse() {
    assertEquals(1500, VideoDecoder.parseTagDuration("00:00:01.500000000"));
    assertEquals(3_723_040, VideoDecoder.parseTagDuration("01:02:03.040000000"));
    assertEquals(-1, VideoDecoder.parseTagDuration("garbage"));
    assertEquals(-1, VideoDecoder.parseTagDuration("00:00:00.000000000"));
  }

  @Test
  void closeIsIdempotentAndNextAfterCloseFails() {
    Path file = TestVideos.write(dir, "c", TestVideos.Kind.FFV1_MKV, TestVideos.noise(2, 16, 16, 8), 25);
    VideoDecoder d = VideoDecoder.open("c.mkv", file);
    d.close();
    d.close();
    assertThrows(IllegalStateException.class, d::next);
  }
}
