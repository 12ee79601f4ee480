package io.vicinity.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.DType;
import org.junit.jupiter.api.Test;

/** Launch planning (CPU only): the radial kernel's tile-count limits are refused up front, with their reasons. */
class AttentionLaunchTest {

  @Test
  void radialMasksBeyondTheKernelsTileLimitAreRefused() {
    // 2^24 frames x 16 positions: 2^22 tiles of 4 frames x 16 positions, one past the limit
    AttentionMask.Radial tooMany = new AttentionMask.Radial(1 << 24, 16, 1.0, false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AttentionLaunch.plan(new int[] {1, 1 << 28, 3 * 64}, 1, tooMany, DType.BF16));
    assertTrue(e.getMessage().contains("2^22 tiles"), e.getMessage());

    AttentionMask.Radial justUnder = new AttentionMask.Radial((1 << 24) - 4, 16, 1.0, false);
    AttentionLaunch ok = AttentionLaunch.plan(new int[] {1, ((1 << 24) - 4) * 16, 3 * 64}, 1, justUnder, DType.BF16);
    assertEquals((1 << 22) - 1, ok.queryTiles());

    // 2^21 tiles x 1024 heads: the launch order (tile, head) would pass 2^31
    AttentionMask.Radial wide = new AttentionMask.Radial(1 << 23, 16, 1.0, false);
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> AttentionLaunch.plan(new int[] {1, 1 << 27, 3 * 1024 * 64}, 1024, wide, DType.BF16));
    assertTrue(e2.getMessage().contains("2^31 tiles x heads"), e2.getMessage());
    AttentionLaunch fewer = AttentionLaunch.plan(new int[] {1, 1 << 27, 3 * 1023 * 64}, 1023, wide, DType.BF16);
    assertEquals(1 << 21, fewer.queryTiles());
  }
}
