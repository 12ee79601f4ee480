package io.vicinity.kernels.cuda;

import io.vicinity.kernels.AbstractTensor;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.DType;
import java.util.function.Supplier;

/** A dense row-major tensor in device memory; release() hands its block back to the backend's pool. */
public final class CudaTensor extends AbstractTensor {
  private final CudaBackend backend;
  private final DeviceBuffer buffer;
  private DeviceBuffer convTaps;

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

  /**
   * This tensor, as a convolution weight, reordered for the implicit-GEMM convolution ([Cout, kh, kw, Cin]):
   * made by {@code reorder} on first use and kept until the tensor is closed. Safe to keep because no operator
   * writes a tensor after the one that made it returned (every result is a new tensor).
   */
  DeviceBuffer convTaps(String op, Supplier<DeviceBuffer> reorder) {
    checkOpen(op);
    if (convTaps == null) {
      convTaps = reorder.get();
    }
    return convTaps;
  }

  long bytes() {
    return buffer.bytes();
  }

  @Override
  protected void release() {
    backend.pool().release(buffer);
    if (convTaps != null) {
      backend.pool().release(convTaps);
    }
  }
}
