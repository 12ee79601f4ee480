package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUstream;
import jcuda.driver.CUevent_flags;

/**
 * Two growable pinned host buffers per backend (page-locked: async DMA). An upload fills one while the copy from
 * the other runs: the host's fill and the DMA, about equal in time, overlap instead of adding up.
 */
final class PinnedStaging {
  private final Slot[] slots = {new Slot(), new Slot()};
  private int next;

  /**
   * The buffer for the next chunk of an upload (the slots alternate), at least {@code bytes}, once the copy last
   * issued from it has finished; after issuing a copy from it, call {@link Slot#issued}.
   */
  Slot nextUpload(long bytes) {
    Slot slot = slots[next];
    next ^= 1;
    slot.ready(bytes);
    return slot;
  }

  /** A slot for a copy its caller waits for (a download), at least {@code bytes}. */
  Slot single(long bytes) {
    slots[1].ready(0); // no copy from the other slot still running
    slots[0].ready(bytes);
    next = 0;
    return slots[0];
  }

  void close() {
    for (Slot s : slots) {
      s.close();
    }
  }

  /** One pinned buffer and the event of the last copy issued from it. */
  static final class Slot {
    private Pointer host;
    private ByteBuffer view;
    private long capacity;
    private CUevent copied;
    private boolean pending;

    private void ready(long bytes) {
      if (pending) {
        CudaException.check(cuEventSynchronize(copied), "cuEventSynchronize(staging copy)");
        pending = false;
      }
      if (bytes > capacity) {
        freeHost();
        long cap = Math.max(bytes, Math.min(Math.max(capacity * 2, 1L << 20), Integer.MAX_VALUE));
        host = CudaAllocator.hostAllocPinned(cap);
        capacity = cap;
        view = host.getByteBuffer(0, cap).order(ByteOrder.nativeOrder());
      }
    }

    /** The buffer, native order, position 0. */
    ByteBuffer buffer() {
      view.clear();
      return view;
    }

    Pointer pointer() {
      return host;
    }

    /** A copy from this buffer is now in {@code stream}: the buffer is not refilled until it has run. */
    void issued(CUstream stream) {
      if (copied == null) {
        copied = new CUevent();
        CudaException.check(cuEventCreate(copied, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
      }
      CudaException.check(cuEventRecord(copied, stream), "cuEventRecord(staging copy)");
      pending = true;
    }

    private void freeHost() {
      if (host != null) {
        CudaAllocator.hostFreePinned(host);
        host = null;
        view = null;
        capacity = 0;
      }
    }

    private void close() {
      if (pending) {
        cuEventSynchronize(copied);
        pending = false;
      }
      freeHost();
      if (copied != null) {
        cuEventDestroy(copied);
        copied = null;
      }
    }
  }
}
