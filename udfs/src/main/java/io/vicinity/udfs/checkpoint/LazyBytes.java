package io.vicinity.udfs.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

/**
 * Tensor bytes fetched on first use (a memory mapping, or an inflated zip entry) and kept afterwards.
 * Loading a checkpoint only reads headers; the bytes of a tensor are touched when a model asks for it.
 */
final class LazyBytes {
  private final Supplier<ByteBuffer> loader;
  private volatile ByteBuffer bytes;

  private LazyBytes(Supplier<ByteBuffer> loader, ByteBuffer bytes) {
    this.loader = loader;
    this.bytes = bytes;
  }

  static LazyBytes of(Supplier<ByteBuffer> loader) {
    return new LazyBytes(loader, null);
  }

  static LazyBytes ready(ByteBuffer bytes) {
    return new LazyBytes(null, readOnlyLittleEndian(bytes));
  }

  /** A read-only little-endian view positioned at 0; each caller gets its own position. */
  ByteBuffer get() {
    ByteBuffer b = bytes;
    if (b == null) {
      synchronized (this) {
        b = bytes;
        if (b == null) {
          b = readOnlyLittleEndian(loader.get());
          bytes = b;
        }
      }
    }
    return b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static ByteBuffer readOnlyLittleEndian(ByteBuffer b) {
    return b.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }
}
