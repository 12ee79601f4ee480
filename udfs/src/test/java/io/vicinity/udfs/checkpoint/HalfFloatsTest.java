package io.vicinity.udfs.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every 16-bit pattern, decoded by HostTensor, against values computed from the format's definition. */
class HalfFloatsTest {

  /** IEEE binary16 from its definition: sign, 5-bit exponent (bias 15), 10-bit fraction, in double. */
  private static double f16Reference(int bits) {
    int sign = bits >>> 15;
    int exponent = (bits >>> 10) & 0x1f;
    int fraction = bits & 0x3ff;
    double magnitude;
    if (exponent == 0) {
      magnitude = Math.scalb(fraction / 1024.0, -14);
    } else if (exponent == 31) {
      magnitude = fraction == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else {
      magnitude = Math.scalb(1 + fraction / 1024.0, exponent - 15);
    }
    return sign == 1 ? -magnitude : magnitude;
  }

  /** bfloat16 from its definition: sign, 8-bit exponent (bias 127), 7-bit fraction, in double. */
  private static double bf16Reference(int bits) {
    int sign = bits >>> 15;
    int exponent = (bits >>> 7) & 0xff;
    int fraction = bits & 0x7f;
    double magnitude;
    if (exponent == 0) {
      magnitude = Math.scalb(fraction / 128.0, -126);
    } else if (exponent == 255) {
      magnitude = fraction == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
    } else {
      magnitude = Math.scalb(1 + fraction / 128.0, exponent - 127);
    }
    return sign == 1 ? -magnitude : magnitude;
  }

  private static byte[] allPatterns() {
    byte[] bytes = new byte[65536 * 2];
    for (int bits = 0; bits < 65536; bits++) {
      bytes[2 * bits] = (byte) bits;
      bytes[2 * bits + 1] = (byte) (bits >>> 8);
    }
    return bytes;
  }

  @Test
  void f16DecodesEveryPatternExactly() {
    float[] decoded = HostTensor.ofBytes("h", new int[] {65536}, HostDType.F16, allPatterns()).toFloats();
    for (int bits = 0; bits < 65536; bits++) {
      double expected = f16Reference(bits);
      if (Double.isNaN(expected)) {
        assertTrue(Float.isNaN(decoded[bits]), "pattern " + Integer.toHexString(bits));
      } else {
        // Compare as doubles: float -> double is exact, so any rounding in the decoder shows up here.
        assertEquals(expected, (double) decoded[bits], 0.0, "pattern " + Integer.toHexString(bits));
        assertEquals(Math.copySign(1.0, expected), Math.copySign(1.0, decoded[bits]), "sign of " + bits);
      }
    }
  }

  @Test
  void bf16DecodesEveryPatternExactly() {
    float[] decoded = HostTensor.ofBytes("b", new int[] {65536}, HostDType.BF16, allPatterns()).toFloats();
    for (int bits = 0; bits < 65536; bits++) {
      double expected = bf16Reference(bits);
      if (Double.isNaN(expected)) {
        assertTrue(Float.isNaN(decoded[bits]), "pattern " + Integer.toHexString(bits));
      } else {
        assertEquals(expected, (double) decoded[bits], 0.0, "pattern " + Integer.toHexString(bits));
        assertEquals(Math.copySign(1.0, expected), Math.copySign(1.0, decoded[bits]), "sign of " + bits);
      }
    }
  }

  @Test
  void knownValues() {
    // 0x3c00 = 1.0, 0xc000 = -2.0, 0x7bff = 65504 (max half), 0x0001 = 2^-24 (smallest subnormal).
    byte[] f16 = {0x00, 0x3c, 0x00, (byte) 0xc0, (byte) 0xff, 0x7b, 0x01, 0x00};
    assertArrayEquals(new float[] {1f, -2f, 65504f, 0x1p-24f},
        HostTensor.ofBytes("h", new int[] {4}, HostDType.F16, f16).toFloats());
    // bf16 0x3f80 = 1.0, 0x4049 = 3.140625
    byte[] bf16 = {(byte) 0x80, 0x3f, 0x49, 0x40};
    assertArrayEquals(new float[] {1f, 3.140625f},
        HostTensor.ofBytes("b", new int[] {2}, HostDType.BF16, bf16).toFloats());
  }
}
