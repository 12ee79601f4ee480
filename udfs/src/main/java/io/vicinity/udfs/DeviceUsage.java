package io.vicinity.udfs;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The forward passes run on one model: how many, the items (images, clips) in them, and the wall time they
 * took, which is the device's busy time when one model has the device. A run summary that sets this against
 * the elapsed time says whether the device or the host limited the job. Thread-safe.
 */
public final class DeviceUsage {

  /** Totals at one moment, or the difference of two. */
  public record Snapshot(long batches, long items, long busyNanos) {
    public Snapshot minus(Snapshot earlier) {
      return new Snapshot(batches - earlier.batches, items - earlier.items, busyNanos - earlier.busyNanos);
    }
  }

  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong items = new AtomicLong();
  private final AtomicLong busyNanos = new AtomicLong();
  private Snapshot reported = new Snapshot(0, 0, 0); // guarded by this

  /** One forward pass of {@code itemCount} items that took {@code nanos}. */
  public void record(int itemCount, long nanos) {
    busyNanos.addAndGet(nanos);
    items.addAndGet(itemCount);
    batches.incrementAndGet();
  }

  /** Everything recorded so far. */
  public Snapshot total() {
    return new Snapshot(batches.get(), items.get(), busyNanos.get());
  }

  /**
   * What was recorded since the previous call: when every task sharing the model reports its share as it
   * ends, the shares add up to the total, each pass counted once.
   */
  public synchronized Snapshot sinceLastReport() {
    Snapshot now = total();
    Snapshot delta = now.minus(reported);
    reported = now;
    return delta;
  }
}
