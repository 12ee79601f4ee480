package io.vicinity.udfs.testing;

import io.vicinity.udfs.PixelMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link PixelMemory} for tests: direct buffers filled with NaN, or 0xA5 for bytes (as Arrow memory, they are
 * not zeroed, so a value never written shows), at most {@code limitFloats} values per allocation (more is
 * refused, as the job's memory refuses what can never fit), counting allocations and those still open.
 */
public final class DirectPixelMemory implements PixelMemory {
  private final int limitFloats;
  private final AtomicInteger allocations = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();

  public DirectPixelMemory(int limitFloats) {
    this.limitFloats = limitFloats;
  }

  @Override
  public Pixels allocate(String path, int floats) {
    if (floats > limitFloats) {
      throw new IllegalArgumentException(floats + " float32 values need more than the limit of " + limitFloats);
    }
    ByteBuffer buffer = ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < floats; i++) {
      buffer.putFloat(4 * i, Float.NaN);
    }
    return track(buffer);
  }

  /** Bytes filled with 0xA5 (a byte never written shows as a pattern in the image); the same value limit. */
  @Override
  public Pixels allocateBytes(String path, int bytes) {
    if (bytes > limitFloats) {
      throw new IllegalArgumentException(bytes + " bytes need more than the limit of " + limitFloats);
    }
    ByteBuffer buffer = ByteBuffer.allocateDirect(bytes);
    for (int i = 0; i < bytes; i++) {
      buffer.put(i, (byte) 0xA5);
    }
    return track(buffer);
  }

  private Pixels track(ByteBuffer buffer) {
    allocations.incrementAndGet();
    open.incrementAndGet();
    return new Pixels() {
      private final AtomicInteger closed = new AtomicInteger();

      @Override
      public ByteBuffer buffer() {
        return buffer;
      }

      @Override
      public void written() {}

      @Override
      public void close() {
        if (closed.getAndIncrement() == 0) {
          open.decrementAndGet();
        }
      }
    };
  }

  /** Allocations made so far. */
  public int allocations() {
    return allocations.get();
  }

  /** Allocations not closed yet. */
  public int open() {
    return open.get();
  }
}
