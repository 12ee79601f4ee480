package io.vicinity.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.DType;
import org.junit.jupiter.api.Test;

/** Launch planning (CPU only): the radial kernel's tile-count limit is refused up front, with its reason. */
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
  }
}
