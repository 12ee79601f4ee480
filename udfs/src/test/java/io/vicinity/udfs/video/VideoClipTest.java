package io.vicinity.udfs.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
