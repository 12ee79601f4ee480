package io.vicinity.udfs.checkpoint;

/** Exact widening of IEEE binary16 and bfloat16 bit patterns to float (Java 17 has no built-in). */
final class HalfFloats {
  private HalfFloats() {}

  /** bfloat16 is the top half of a float32, so widening is a shift. */
  static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  static float f16ToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0) {
      // Zero or subnormal: mantissa * 2^-24, exact in float32 (needs 10 bits, float has 24).
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    if (exponent == 0x1f) {
      // Infinity or NaN; keep the NaN payload.
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }
}
