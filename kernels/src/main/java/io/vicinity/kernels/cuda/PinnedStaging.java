package io.vicinity.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;

/** One growable pinned host buffer per backend for uploads and downloads (page-locked: async DMA). */
final class PinnedStaging {
  private Pointer host;
  private ByteBuffer view;
  private long capacity;

  /** A buffer of at least {@code bytes}, native order, position 0. Valid until the next call. */
  ByteBuffer buffer(long bytes) {
    if (bytes > capacity) {
      close();
      long cap = Math.max(bytes, Math.min(Math.max(capacity * 2, 1L << 20), Integer.MAX_VALUE));
      host = CudaAllocator.hostAllocPinned(cap);
      capacity = cap;
      view = host.getByteBuffer(0, cap).order(ByteOrder.nativeOrder());
    }
    view.clear();
    return view;
  }

  Pointer pointer() {
    return host;
  }

  void close() {
    if (host != null) {
      CudaAllocator.hostFreePinned(host);
      host = null;
      view = null;
      capacity = 0;
    }
  }
}
