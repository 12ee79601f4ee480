package io.vicinity.kernels.cpu;

import io.vicinity.kernels.AbstractTensor;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.DType;
import java.util.function.Supplier;

/**
 * A float32 tensor in a plain Java array, row-major. A tensor used as a matrix-product weight also
 * caches its packed form (weights are immutable once uploaded), which dies with the tensor.
 */
public final class CpuTensor extends AbstractTensor {
  private final CpuBackend backend;
  private volatile float[] data;
  private Object packedKey;
  private PackedMatrix packed;

  CpuTensor(CpuBackend backend, int[] shape, float[] data) {
    super(shape, DType.F32);
    this.backend = backend;
    this.data = data;
  }

  @Override
  public Backend backend() {
    return backend;
  }

  /** The storage itself, not a copy: callers must not write to an input tensor. */
  public float[] data() {
    checkOpen("data");
    return data;
  }

  /**
   * The packed form of this tensor for the layout named by {@code key}, built once. A tensor is packed for
   * one layout at a time; asking for another layout replaces the cached one.
   */
  synchronized PackedMatrix packed(Object key, Supplier<PackedMatrix> pack) {
    checkOpen("pack");
    if (packed == null || !packedKey.equals(key)) {
      packed = pack.get();
      packedKey = key;
    }
    return packed;
  }

  @Override
  protected void release() {
    data = null;
    synchronized (this) {
      packed = null;
      packedKey = null;
    }
  }
}
