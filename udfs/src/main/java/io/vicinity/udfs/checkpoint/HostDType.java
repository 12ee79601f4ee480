package io.vicinity.udfs.checkpoint;

import java.util.Locale;

/**
 * Element type of a tensor as a checkpoint stores it. Named after safetensors' dtype strings; the
 * PyTorch storage classes map onto the same set. (Not {@code io.vicinity.kernels.DType}: that one is
 * what a backend computes in, this one is what a file holds.)
 */
public enum HostDType {
  F64(8, true),
  F32(4, true),
  F16(2, true),
  BF16(2, true),
  I64(8, false),
  I32(4, false),
  I16(2, false),
  I8(1, false),
  U8(1, false),
  BOOL(1, false);

  private final int itemSize;
  private final boolean floatingPoint;

  HostDType(int itemSize, boolean floatingPoint) {
    this.itemSize = itemSize;
    this.floatingPoint = floatingPoint;
  }

  /** Bytes per element. */
  public int itemSize() {
    return itemSize;
  }

  public boolean isFloatingPoint() {
    return floatingPoint;
  }

  /** The dtype for a safetensors header string such as "BF16", or null when we do not support it. */
  static HostDType fromSafetensorsName(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The dtype for a PyTorch typed-storage class name such as "BFloat16Storage", or null. */
  static HostDType fromTorchStorageName(String storageClass) {
    switch (storageClass) {
      case "DoubleStorage": return F64;
      case "FloatStorage": return F32;
      case "HalfStorage": return F16;
      case "BFloat16Storage": return BF16;
      case "LongStorage": return I64;
      case "IntStorage": return I32;
      case "ShortStorage": return I16;
      case "CharStorage": return I8;
      case "ByteStorage": return U8;
      case "BoolStorage": return BOOL;
      default: return null;
    }
  }
}
