package io.vicinity.kernels.cuda;

import io.vicinity.kernels.AbstractTensor;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.DType;

/** A dense row-major tensor in device memory; release() hands its block back to the backend's pool. */
public final class CudaTensor extends AbstractTensor {
  private final CudaBackend backend;
  private final DeviceBuffer buffer;

  CudaTensor(CudaBackend backend, DeviceBuffer buffer, int[] shape, DType dtype) {
    super(shape, dtype);
    this.backend = backend;
    this.buffer = buffer;
  }

  @Override
  public Backend backend() {
    return backend;
  }

  DevicePtr ptr(String op) {
    checkOpen(op);
    return buffer.ptr();
  }

  long bytes() {
    return buffer.bytes();
  }

  @Override
  protected void release() {
    backend.pool().release(buffer);
  }
}
