package io.vicinity.udfs.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.image.RgbImage;
import io.vicinity.udfs.video.decode.ClipPlan;
import io.vicinity.udfs.video.decode.DecodedFrame;
import io.vicinity.udfs.video.decode.SampledClip;
import java.util.List;
import org.junit.jupiter.api.Test;

class VideoClipTest {

  @Test
  void decodedFramesBecomeTheClipsFramesUncopied() {
    DecodedFrame a = frame(0, 4, 2);
    DecodedFrame b = frame(1, 4, 2);
    // A padded clip repeats its last frame.
    SampledClip sampled = new SampledClip(new ClipPlan(0, new int[] {0, 1, 1}, 2, true), List.of(a, b, b), 0, 120);
    VideoClip clip = sampled.toVideoClip("v.mp4#clip0");
    assertEquals(3, clip.frames());
    assertSame(a.image().rgb(), clip.rgbFrames().get(0));
    assertSame(b.image().rgb(), clip.rgbFrames().get(1));
    assertSame(b.image().rgb(), clip.rgbFrames().get(2));
    assertEquals(3L * 4 * 2 * 3, sampled.rgbBytes());
  }

  @Test
  void aFrameOfAnotherSizeFailsTheClip() {
    SampledClip sampled = new SampledClip(new ClipPlan(0, new int[] {0, 1}, 2, false),
        List.of(frame(0, 4, 2), frame(1, 2, 4)), 0, 80);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sampled.toVideoClip("c"));
    assertEquals("frame size changes inside the clip: frame 0 is 4x2, frame 1 is 2x4", e.getMessage());
  }

  @Test
  void framesHoldingAWindowMakeAClipThatSaysSo() {
    ByteResample.Window w = new ByteResample.Window(1, 2, 3, 4);
    byte[] pixels = new byte[w.bytes()];
    DecodedFrame a = new DecodedFrame(0, 0, 40, 8, 10, new RgbImage(4, 3, pixels), w);
    DecodedFrame b = new DecodedFrame(1, 40, 80, 8, 10, new RgbImage(4, 3, pixels.clone()), w);
    VideoClip clip = new SampledClip(new ClipPlan(0, new int[] {0, 1}, 2, false), List.of(a, b), 0, 80)
        .toVideoClip("v.mp4#clip0");
    assertEquals(8, clip.height());
    assertEquals(10, clip.width());
    assertEquals(w, clip.window());
    assertSame(pixels, clip.rgbFrames().get(0));

    DecodedFrame whole = new DecodedFrame(1, 40, 80, new RgbImage(10, 8, new byte[10 * 8 * 3]));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SampledClip(new ClipPlan(0, new int[] {0, 1}, 2, false), List.of(a, whole), 0, 80).toVideoClip("c"));
    assertTrue(e.getMessage().startsWith("frames 0 and 1 hold different windows"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> VideoClip.ofFrames("v#c", 8, 10, w, List.of(new byte[10 * 8 * 3])));
    assertTrue(e.getMessage().startsWith("v#c: frame 0 of window 4x3 x 3 needs 36 bytes"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> VideoClip.ofFrames("v#c", 3, 10, w, List.of(pixels)));
    assertTrue(e.getMessage().contains("is not inside frames of 10x3"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new DecodedFrame(0, 0, 40, 8, 10, new RgbImage(10, 8, new byte[10 * 8 * 3]), w));
  }

  @Test
  void eachFrameMustHoldHeightTimesWidthPixels() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VideoClip.ofFrames("v.mp4#clip2", 2, 4, List.of(new byte[24], new byte[23])));
    assertTrue(e.getMessage().startsWith("v.mp4#clip2: frame 1 of 4x2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> VideoClip.ofFrames("empty", 2, 4, List.of()));
  }

  @Test
  void aContiguousClipIsSplitIntoFrames() {
    byte[] rgb = new byte[2 * 1 * 2 * 3];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) i;
    }
    VideoClip clip = VideoClip.ofContiguousRgb("c", 2, 1, 2, rgb);
    assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5}, clip.rgbFrames().get(0));
    assertArrayEquals(new byte[] {6, 7, 8, 9, 10, 11}, clip.rgbFrames().get(1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VideoClip.ofContiguousRgb("short", 3, 1, 2, rgb));
    assertTrue(e.getMessage().startsWith("short: 3 frames of 2x1 x 3 need 18 bytes, got 12"), e.getMessage());
  }

  private static DecodedFrame frame(int index, int width, int height) {
    return new DecodedFrame(index, index * 40L, index * 40L + 40, new RgbImage(width, height,
        new byte[width * height * 3]));
  }
}
