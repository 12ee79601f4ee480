package io.vicinity.kernels;

/** Element type of a tensor as the backend stores it. Host-side APIs always exchange float32. */
public enum DType {
  F32(4),
  BF16(2),
  F16(2);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }
}
