package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemsetD8Async;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
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
  /** Blocks held by a {@link Scope} (a captured CUDA graph): never on the shared free lists meanwhile. */
  private final Map<DevicePtr, Scope> kept = new IdentityHashMap<>();
  /** The scope that collects every block acquired now, or null. */
  private Scope collecting;
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
    return acquire(bytes, why, collecting);
  }

  /**
   * A block kept with a tensor made before any graph now being captured (a weight's derived copy): it must not
   * join the collecting scope, whose blocks return to the shared lists when that graph closes.
   */
  synchronized DeviceBuffer acquireUnscoped(long bytes, String why) {
    return acquire(bytes, why, null);
  }

  private DeviceBuffer acquire(long bytes, String why, Scope scope) {
    if (closed) {
      throw new IllegalStateException("device pool is closed (" + why + ")");
    }
    long cls = sizeClass(bytes);
    if (scope != null) {
      ArrayDeque<DevicePtr> own = scope.free.get(cls);
      DevicePtr q = own == null ? null : own.poll();
      if (q != null) { // the scope's own block, already counted live
        poison(q, cls, why);
        return new DeviceBuffer(q, bytes, cls);
      }
    }
    ArrayDeque<DevicePtr> list = free.get(cls);
    DevicePtr p = list == null ? null : list.poll();
    if (p == null) {
      p = CudaAllocator.deviceAlloc(cls, why);
      all.add(p);
      reservedBytes += cls;
      allocCalls++;
    }
    liveBytes += cls;
    if (scope != null) {
      scope.owned.put(p, cls);
      kept.put(p, scope);
    }
    poison(p, cls, why);
    return new DeviceBuffer(p, bytes, cls);
  }

  private void poison(DevicePtr p, long cls, String why) {
    if (poison) {
      CudaException.check(cuMemsetD8Async(p, (byte) 0xFF, cls, stream), "poison " + why);
    }
  }

  synchronized void release(DeviceBuffer b) {
    if (closed) {
      return; // the backend already freed everything
    }
    Scope s = kept.get(b.ptr());
    if (s == null && collecting != null) { // an older block freed while collecting: the graph may use it
      s = collecting;
      s.owned.put(b.ptr(), b.capacity());
      kept.put(b.ptr(), s);
    }
    if (s != null) { // stays live and reserved for the scope; reusable only inside it
      s.free.computeIfAbsent(b.capacity(), c -> new ArrayDeque<>()).push(b.ptr());
      return;
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

  /**
   * Blocks for one CUDA graph. While a scope collects ({@link #beginScope} to {@link #endScope}) every block
   * acquired joins it, and blocks released meanwhile return to its private free list (reused by later
   * acquires of the scope, in stream order, which is the captured graph's order too). After endScope its
   * blocks stay live and off the shared lists (releases park them in the scope) until {@link #closeScope}.
   */
  static final class Scope {
    private final Map<Long, ArrayDeque<DevicePtr>> free = new HashMap<>();
    private final Map<DevicePtr, Long> owned = new IdentityHashMap<>();

    /** Device bytes the scope holds. */
    long bytes() {
      long b = 0;
      for (long c : owned.values()) {
        b += c;
      }
      return b;
    }
  }

  synchronized Scope beginScope() {
    if (collecting != null) {
      throw new IllegalStateException("a device-pool scope is already collecting (nested graph capture)");
    }
    collecting = new Scope();
    return collecting;
  }

  synchronized void endScope(Scope s) {
    if (collecting == s) {
      collecting = null;
    }
  }

  /** Hands the scope's blocks back to the shared lists (stream order protects a graph launch still running). */
  synchronized void closeScope(Scope s) {
    endScope(s);
    if (closed) {
      return;
    }
    for (var e : s.owned.entrySet()) {
      if (kept.remove(e.getKey()) == s) {
        liveBytes -= e.getValue();
        free.computeIfAbsent(e.getValue(), c -> new ArrayDeque<>()).push(e.getKey());
      }
    }
    s.owned.clear();
    s.free.clear();
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
    kept.clear();
  }
}
