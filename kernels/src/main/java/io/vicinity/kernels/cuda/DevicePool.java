package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemsetD8Async;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUstream;

/**
 * Size-class free lists over device memory, owned by one backend and used on its one stream: a block
 * returned here may be handed to the next operation at once because stream order serialises the uses.
 * In steady state (same shapes every batch) no cuMemAlloc happens. Sizes round up to 2^n * {4,5,6,7}/4.
 */
final class DevicePool {
  private static final long MIN_BLOCK = 512;

  private final Map<Long, ArrayDeque<DevicePtr>> free = new HashMap<>();
  private final List<DevicePtr> all = new ArrayList<>();
  private final CUstream stream;
  private final boolean poison;
  private long reservedBytes;
  private long liveBytes;
  private long allocCalls;
  private boolean closed;

  /** @param poison fill every block handed out with 0xFF bytes (NaN in f32/bf16/f16), for tests */
  DevicePool(CUstream stream, boolean poison) {
    this.stream = stream;
    this.poison = poison;
  }

  static long sizeClass(long bytes) {
    long b = Math.max(bytes, MIN_BLOCK);
    int shift = 63 - Long.numberOfLeadingZeros(b - 1); // 2^shift < b <= 2^(shift+1)
    long quarter = Math.max(1L << Math.max(shift - 2, 0), MIN_BLOCK / 4);
    return (b + quarter - 1) / quarter * quarter;
  }

  synchronized DeviceBuffer acquire(long bytes, String why) {
    if (closed) {
      throw new IllegalStateException("device pool is closed (" + why + ")");
    }
    long cls = sizeClass(bytes);
    ArrayDeque<DevicePtr> list = free.get(cls);
    DevicePtr p = list == null ? null : list.poll();
    if (p == null) {
      p = CudaAllocator.deviceAlloc(cls, why);
      all.add(p);
      reservedBytes += cls;
      allocCalls++;
    }
    liveBytes += cls;
    if (poison) {
      CudaException.check(cuMemsetD8Async(p, (byte) 0xFF, cls, stream), "poison " + why);
    }
    return new DeviceBuffer(p, bytes, cls);
  }

  synchronized void release(DeviceBuffer b) {
    if (closed) {
      return; // the backend already freed everything
    }
    liveBytes -= b.capacity();
    free.computeIfAbsent(b.capacity(), c -> new ArrayDeque<>()).push(b.ptr());
  }

  synchronized long liveBytes() {
    return liveBytes;
  }

  synchronized long reservedBytes() {
    return reservedBytes;
  }

  synchronized long allocCalls() {
    return allocCalls;
  }

  /** Frees every block; the caller synchronised the stream first. */
  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (DevicePtr p : all) {
      CudaAllocator.deviceFree(p);
    }
    all.clear();
    free.clear();
  }
}
