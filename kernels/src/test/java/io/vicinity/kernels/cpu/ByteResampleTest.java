package io.vicinity.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.Tensor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ByteResample's passes on hand-worked cases, and the CPU backend's resampling fromHostBytes (per image: the
 * region, then the table). Pillow's own weights are checked against Pillow in udfs (PillowResizeParityTest).
 */
public class ByteResampleTest {
  private static final int ONE = 1 << ByteResample.PRECISION_BITS;

  @Test
  void twoTapsRoundHalfUpAndClip() {
    // One row of 2 pixels -> 1 pixel: weights 1/2 + 1/2 (15.5 rounds to 16), and 3/2 - 1/2 (clipped at 255, 0).
    byte[] src = {10, (byte) 200, 0, 21, 100, (byte) 255};
    ByteResample.Pass average = new ByteResample.Pass(2, new int[] {0}, new int[] {2}, new int[] {ONE / 2, ONE / 2});
    ByteResample half = new ByteResample(1, 2, ByteResample.Pass.identity(1), average, 0, 0, 1, 1);
    assertArrayEquals(new byte[] {16, (byte) 150, (byte) 128}, half.apply(src, 0));
    ByteResample.Pass overshoot =
        new ByteResample.Pass(2, new int[] {0}, new int[] {2}, new int[] {ONE + ONE / 2, -ONE / 2});
    ByteResample sharp = new ByteResample(1, 2, ByteResample.Pass.identity(1), overshoot, 0, 0, 1, 1);
    // 1.5 * 10 - 0.5 * 21 = 4.5 -> 5; 1.5 * 200 - 0.5 * 100 = 250; 1.5 * 0 - 0.5 * 255 < 0 -> 0
    assertArrayEquals(new byte[] {5, (byte) 250, 0}, sharp.apply(src, 0));
  }

  @Test
  void identityPassesCropAndPadWithZeros() {
    byte[] src = new byte[3 * 4 * 3];
    for (int i = 0; i < src.length; i++) {
      src[i] = (byte) (i + 1);
    }
    // The 2 x 3 region from (-1, 2) of a 3 x 4 image: its first row is above the image, its last column right of it.
    byte[] out = ByteResample.crop(3, 4, -1, 2, 2, 3).apply(src, 0);
    byte[] expected = new byte[2 * 3 * 3];
    for (int x = 0; x < 2; x++) {
      for (int c = 0; c < 3; c++) {
        expected[(3 + x) * 3 + c] = src[(2 + x) * 3 + c]; // row 0 of the image, columns 2 and 3
      }
    }
    assertArrayEquals(expected, out);
  }

  @Test
  void theBackendResamplesEachImageThenLooksUpItsValues() {
    Random rnd = new Random(5);
    ByteResample plan = randomPlan(rnd, 9, 13, 6, 17, -1, 3, 7, 12);
    int images = 3;
    byte[] sources = new byte[images * plan.sourceBytes()];
    rnd.nextBytes(sources);
    float[] table = FromHostDirectTest.randomTable(rnd, 3);
    float[] expected = new float[images * plan.outputBytes()];
    for (int i = 0; i < images; i++) {
      float[] one = FromHostDirectTest.lookedUp(plan.apply(sources, i * plan.sourceBytes()), table, 3);
      System.arraycopy(one, 0, expected, i * one.length, one.length);
    }
    int cut = plan.sourceBytes() + 7; // the second buffer starts inside the second image
    try (CpuBackend cpu = new CpuBackend(); Arena a = cpu.openArena("resample")) {
      Tensor got = cpu.fromHostBytes(List.of(FromHostDirectTest.directBytes(sources, 0, cut, 4),
          FromHostDirectTest.directBytes(sources, cut, sources.length - cut, 0)), plan, table, images, 7, 12, 3);
      assertArrayEquals(expected, cpu.toHost(got), 0f);
    }
  }

  @Test
  void imagesOfDifferentSizesShareOneCallEachWithItsOwnPlan() {
    Random rnd = new Random(8);
    // Three sources of different sizes to one 5 x 6 region: two resampled, one already that size (a copy).
    List<ByteResample> plans = List.of(randomPlan(rnd, 9, 13, 6, 17, -1, 3, 5, 6),
        ByteResample.crop(5, 6, 0, 0, 5, 6), randomPlan(rnd, 4, 3, 8, 8, 2, 1, 5, 6));
    assertTrue(plans.get(1).isCopy() && !plans.get(0).isCopy() && !plans.get(2).isCopy());
    int total = plans.stream().mapToInt(ByteResample::sourceBytes).sum();
    byte[] sources = new byte[total];
    rnd.nextBytes(sources);
    float[] table = FromHostDirectTest.randomTable(rnd, 3);
    float[] expected = new float[plans.size() * 5 * 6 * 3];
    int from = 0;
    for (int i = 0; i < plans.size(); i++) {
      float[] one = FromHostDirectTest.lookedUp(plans.get(i).apply(sources, from), table, 3);
      System.arraycopy(one, 0, expected, i * one.length, one.length);
      from += plans.get(i).sourceBytes();
    }
    int cut = plans.get(0).sourceBytes() + 5; // the second buffer starts inside the second image
    try (CpuBackend cpu = new CpuBackend(); Arena a = cpu.openArena("resample")) {
      Tensor got = cpu.fromHostBytes(List.of(FromHostDirectTest.directBytes(sources, 0, cut, 2),
          FromHostDirectTest.directBytes(sources, cut, total - cut, 0)), plans, table, 3, 5, 6, 3);
      assertArrayEquals(expected, cpu.toHost(got), 0f);
    }
  }

  @Test
  void theWindowAResampleReadsGivesItsOutputAlone() {
    Random rnd = new Random(13);
    int shrank = 0;
    for (int trial = 0; trial < 400; trial++) {
      int sourceHeight = 1 + rnd.nextInt(12);
      int sourceWidth = 1 + rnd.nextInt(12);
      int height = 1 + rnd.nextInt(12);
      int width = 1 + rnd.nextInt(12);
      int regionHeight = 1 + rnd.nextInt(height + 2);
      int regionWidth = 1 + rnd.nextInt(width + 2);
      ByteResample plan = trial % 4 == 0
          ? ByteResample.crop(sourceHeight, sourceWidth, rnd.nextInt(sourceHeight + 2) - 2,
              rnd.nextInt(sourceWidth + 2) - 2, regionHeight, regionWidth)
          : randomPlan(rnd, sourceHeight, sourceWidth, height, width, rnd.nextInt(height + 2) - 2,
              rnd.nextInt(width + 2) - 2, regionHeight, regionWidth);
      int offset = rnd.nextInt(7);
      byte[] source = new byte[offset + plan.sourceBytes()];
      rnd.nextBytes(source);
      ByteResample.Windowed w = plan.windowed();
      ByteBuffer windowBytes = ByteBuffer.allocate(w.window().bytes());
      w.window().copy(source, offset, sourceWidth, windowBytes);
      assertEquals(0, windowBytes.remaining(), "the window fills its bytes");
      assertEquals(w.window().bytes(), w.resample().sourceBytes());
      assertArrayEquals(plan.apply(source, offset), w.resample().apply(windowBytes.array(), 0), "trial " + trial);
      ByteBuffer direct = ByteBuffer.allocateDirect(plan.sourceBytes()).put(source, offset, plan.sourceBytes()).flip();
      assertArrayEquals(plan.apply(source, offset), bytesOf(plan.output(direct)), "trial " + trial + ", direct");
      assertArrayEquals(plan.apply(source, offset),
          bytesOf(plan.output(ByteBuffer.wrap(source, offset, plan.sourceBytes()))), "trial " + trial + ", heap");
      shrank += w.resample().sourceBytes() < plan.sourceBytes() ? 1 : 0;
    }
    assertTrue(shrank > 100, "most random regions read part of their source: " + shrank);
  }

  @Test
  void aCenterCropReadsTheMiddleColumnsOfAWideFrame() {
    // Rows are whole, columns the crop's plus the taps at its edges; the window is that rectangle of the frame.
    ByteResample.Pass rows = ByteResample.Pass.identity(4);
    ByteResample.Pass halve = new ByteResample.Pass(2, new int[] {0, 2, 4, 6}, new int[] {2, 2, 2, 2},
        new int[] {ONE / 2, ONE / 2, ONE / 2, ONE / 2, ONE / 2, ONE / 2, ONE / 2, ONE / 2});
    ByteResample plan = new ByteResample(4, 8, rows, halve, 0, 1, 4, 2);
    ByteResample.Windowed w = plan.windowed();
    assertEquals(new ByteResample.Window(0, 2, 4, 4), w.window());
    assertArrayEquals(new int[] {0, 2}, w.resample().horizontal().first());
    assertEquals(0, w.resample().left());
    assertTrue(ByteResample.crop(6, 6, 1, 2, 3, 3).windowed().resample().isCopy(), "a crop's window is a copy");
  }

  @Test
  void wrongSizesAreRefusedWithTheShape() {
    ByteResample plan = ByteResample.crop(4, 4, 0, 0, 2, 2);
    float[] table = new float[3 * 256];
    try (CpuBackend cpu = new CpuBackend()) {
      ByteBuffer oneImage = ByteBuffer.allocateDirect(plan.sourceBytes());
      String message = assertThrows(IllegalArgumentException.class,
          () -> cpu.fromHostBytes(List.of(oneImage), plan, table, 2, 2, 2, 3)).getMessage();
      assertTrue(message.contains("48 bytes") && message.contains("2 images of 96 source bytes"), message);
      message = assertThrows(IllegalArgumentException.class,
          () -> cpu.fromHostBytes(List.of(oneImage), plan, table, 1, 3, 2, 3)).getMessage();
      assertTrue(message.contains("a resample to 2x2 x 3 among the images of [1, 3, 2, 3]"), message);
      message = assertThrows(IllegalArgumentException.class,
          () -> cpu.fromHostBytes(List.of(oneImage), List.of(plan, plan), table, 1, 2, 2, 3)).getMessage();
      assertTrue(message.contains("2 resamples for the 1 images of"), message);
    }
    assertThrows(IllegalArgumentException.class, () -> new ByteResample(4, 4, ByteResample.Pass.identity(4),
        new ByteResample.Pass(1, new int[] {3}, new int[] {2}, new int[] {ONE}), 0, 0, 1, 1), "reads past the row");
  }

  private static byte[] bytesOf(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  /**
   * A plan of random passes (each output reads 0 to 5 inputs with weights of either sign whose absolute sum
   * stays below 2, so no sum overflows) from a {@code sourceHeight} x {@code sourceWidth} image to a
   * {@code height} x {@code width} one, and its region; a pass keeps its size as an identity one half the time.
   */
  public static ByteResample randomPlan(Random rnd, int sourceHeight, int sourceWidth, int height, int width,
      int top, int left, int regionHeight, int regionWidth) {
    return new ByteResample(sourceHeight, sourceWidth, randomPass(rnd, sourceHeight, height),
        randomPass(rnd, sourceWidth, width), top, left, regionHeight, regionWidth);
  }

  private static ByteResample.Pass randomPass(Random rnd, int inputs, int outputs) {
    if (inputs == outputs && rnd.nextBoolean()) {
      return ByteResample.Pass.identity(outputs);
    }
    int kernelSize = 5;
    int[] first = new int[outputs];
    int[] count = new int[outputs];
    int[] weights = new int[outputs * kernelSize];
    for (int i = 0; i < outputs; i++) {
      count[i] = rnd.nextInt(Math.min(kernelSize, inputs) + 1);
      first[i] = rnd.nextInt(inputs - count[i] + 1);
      for (int j = 0; j < count[i]; j++) {
        weights[i * kernelSize + j] = rnd.nextInt(2 * ONE / kernelSize) - ONE / (2 * kernelSize);
      }
    }
    return new ByteResample.Pass(kernelSize, first, count, weights);
  }
}
