package io.vicinity.kernels.cuda;

import jcuda.driver.CUdeviceptr;

/** A device pointer whose raw address can be written into kernel parameter structs. */
final class DevicePtr extends CUdeviceptr {
  static final DevicePtr NULL = new DevicePtr();

  DevicePtr() {}

  private DevicePtr(DevicePtr base, long byteOffset) {
    super(base, byteOffset);
  }

  /** The 64-bit device address (0 for {@link #NULL}). */
  long address() {
    return getNativePointer() + getByteOffset();
  }

  DevicePtr offset(long bytes) {
    return new DevicePtr(this, bytes);
  }
}
