package io.vicinity.job;

import io.vicinity.udfs.PixelMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.rounding.SegmentRoundingPolicy;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.UInt1Vector;

/**
 * The pixels waiting for one device: per image one {@link UInt1Vector} of its resized RGB bytes (per video
 * forward pass one of its clips' frames, or a {@link Float4Vector} of model-ready values) from a named child of
 * the executor's Arrow root allocator, whose limit is {@code --queue-bytes}. The allocator is the byte bound: a
 * task thread whose image does not fit waits until a finished batch frees its vectors (never an out-of-memory
 * error); an image that could never fit, even alone, is refused with a message naming the limit. Each vector goes allocate -> write -> setValueCount -> read (the backend, from its address) ->
 * close, and close() of this object reports any vector still open as a leak.
 */
final class ArrowPixelMemory implements PixelMemory, AutoCloseable {

  /**
   * Accounting in 1 KiB steps. Arrow's default policy rounds requests below its chunk size up to a power
   * of two, which would charge a 588 KiB image as 1 MiB against --queue-bytes.
   */
  private static final long ROUNDING_BYTES = 1024;

  /** How often a waiting producer looks again even without a signal (closed, interrupted task). */
  private static final long RECHECK_MILLIS = 100;

  private static final class Root {
    static final RootAllocator ALLOCATOR = newRoot();
  }

  /** The executor's Arrow root allocator (created on first use, closed by {@link ModelCache} at exit). */
  static BufferAllocator executorRoot() {
    return Root.ALLOCATOR;
  }

  /** A root with the rounding this class accounts with (tests make their own, one per test). */
  static RootAllocator newRoot() {
    return new RootAllocator(AllocationListener.NOOP, Long.MAX_VALUE, new SegmentRoundingPolicy(ROUNDING_BYTES));
  }

  private final String name;
  private final BufferAllocator allocator;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition freed = lock.newCondition();
  private final LongAdder waits = new LongAdder();
  /** Producers waiting in allocate(), oldest first; only the first may allocate. */
  private final ArrayDeque<Object> waiting = new ArrayDeque<>();
  /** Vectors freed so far (guarded by lock): a producer whose try failed retries at once if one was freed. */
  private long frees;
  /** Bytes of allocations in progress outside the lock, not yet charged to the allocator (guarded by lock). */
  private long reserved;
  private boolean closed;

  /** A child of {@code parent} named {@code name} that never holds more than {@code limitBytes}. */
  ArrowPixelMemory(BufferAllocator parent, String name, long limitBytes) {
    this.name = name;
    this.allocator = parent.newChildAllocator(name, 0, limitBytes);
  }

  /**
   * Allocations are served first come, first served: a large image waiting for room is not overtaken by a
   * stream of small ones (which would starve it), at the cost of head-of-line waiting, which is the point
   * of back-pressure anyway.
   */
  @Override
  public Pixels allocate(String path, int floats) throws InterruptedException {
    return allocate(path, floats, "float32 values", new Float4Vector(path, allocator));
  }

  /** An image's resized RGB bytes: a {@link UInt1Vector}, same waiting and refusal as float32 values. */
  @Override
  public Pixels allocateBytes(String path, int bytes) throws InterruptedException {
    return allocate(path, bytes, "bytes", new UInt1Vector(path, allocator));
  }

  private Pixels allocate(String path, int count, String unit, BaseFixedWidthVector vector)
      throws InterruptedException {
    try {
      return allocateWaiting(count, unit, vector);
    } catch (InterruptedException | RuntimeException e) {
      vector.close();
      throw e;
    }
  }

  /**
   * Waits to be first in line and for room, then leaves the line and allocates outside the lock: Arrow zero-fills
   * the vector (tens of MB for a clip's decoded frames), so allocations run side by side, each counted in
   * {@code reserved} until it is charged to the allocator, and the next in line may take what room is left.
   */
  private Pixels allocateWaiting(int count, String unit, BaseFixedWidthVector vector) throws InterruptedException {
    lock.lockInterruptibly();
    Object me = new Object();
    waiting.addLast(me);
    boolean inLine = true;
    boolean waited = false;
    try {
      while (true) {
        if (closed) {
          throw new IllegalStateException(name + " is closed");
        }
        long need = charge(count, vector.getTypeWidth());
        boolean othersHold = reserved > 0 || allocator.getAllocatedMemory() > 0;
        if (waiting.peekFirst() != me
            || (othersHold && allocator.getAllocatedMemory() + reserved + need > allocator.getLimit())) {
          waited = true;
          freed.await(RECHECK_MILLIS, TimeUnit.MILLISECONDS);
          continue;
        }
        waiting.removeFirst();
        inLine = false;
        freed.signalAll(); // the next in line may take what is left
        reserved += need;
        long freesBefore = frees;
        boolean allocated;
        lock.unlock();
        try {
          allocated = tryAllocate(vector, count);
        } finally {
          lock.lock();
          reserved -= need;
        }
        if (allocated) {
          return new ArrowPixels(vector, count);
        }
        // Refused while others held memory (or the estimate was short): back to the front of the line.
        waiting.addFirst(me);
        inLine = true;
        waited = true;
        if (frees != freesBefore) {
          continue; // memory was freed while we tried: try again at once
        }
        if (!othersHold && reserved == 0 && allocator.getAllocatedMemory() == 0) {
          // Nothing else held memory during the try, so waiting would not help: this image alone exceeds the limit.
          throw new IllegalArgumentException(String.format("%d %s need more than %s's limit of %d bytes "
              + "(--queue-bytes)", count, unit, name, allocator.getLimit()));
        }
        freed.await(RECHECK_MILLIS, TimeUnit.MILLISECONDS);
      }
    } finally {
      if (inLine) {
        waiting.remove(me);
      }
      freed.signalAll(); // the next in line may go now
      if (waited) {
        waits.increment();
      }
      lock.unlock();
    }
  }

  /** What Arrow will charge for a vector of {@code count} values (data and validity buffers), or a bit more. */
  private static long charge(int count, int typeWidth) {
    return (long) count * typeWidth + (count + 7) / 8 + 2 * ROUNDING_BYTES;
  }

  private static boolean tryAllocate(BaseFixedWidthVector vector, int count) {
    try {
      vector.allocateNew(count);
      return true;
    } catch (OutOfMemoryException e) {
      vector.clear();
      return false;
    }
  }

  /** The Arrow vector behind pixels from this class (tests read it back as Arrow). */
  static BaseFixedWidthVector vectorOf(Pixels pixels) {
    return ((ArrowPixels) pixels).vector;
  }

  /** Bytes held by open vectors now. */
  long allocatedBytes() {
    return allocator.getAllocatedMemory();
  }

  /** The most bytes ever held at once. */
  long peakBytes() {
    return allocator.getPeakMemoryAllocation();
  }

  long limitBytes() {
    return allocator.getLimit();
  }

  /** How many allocations had to wait for memory. */
  long waits() {
    return waits.sum();
  }

  /**
   * Refuses further allocations and closes the allocator; idempotent. Throws (Arrow's message: which
   * vectors, how many bytes) when a vector is still open, so a leak does not pass unnoticed.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      freed.signalAll();
    } finally {
      lock.unlock();
    }
    allocator.close();
  }

  @Override
  public String toString() {
    return name + " (" + allocatedBytes() + " of " + limitBytes() + " bytes)";
  }

  /** One image's (or clip's) vector. */
  private final class ArrowPixels implements Pixels {
    private final BaseFixedWidthVector vector;
    private final int count;
    private final ByteBuffer buffer;
    private final AtomicBoolean open = new AtomicBoolean(true);

    ArrowPixels(BaseFixedWidthVector vector, int count) {
      this.vector = vector;
      this.count = count;
      this.buffer = vector.getDataBuffer().nioBuffer(0, Math.multiplyExact(count, vector.getTypeWidth()))
          .order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public ByteBuffer buffer() {
      return buffer;
    }

    @Override
    public void written() {
      // Every value is defined: set the validity bitmap in one go rather than per value.
      vector.getValidityBuffer().setOne(0, vector.getValidityBuffer().capacity());
      vector.setValueCount(count);
    }

    @Override
    public void close() {
      if (!open.compareAndSet(true, false)) {
        return;
      }
      vector.close(); // outside the lock: freeing tens of MB need not hold up the other threads
      lock.lock();
      try {
        frees++;
        freed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }
}
