package io.vicinity.job;

import io.vicinity.udfs.DeviceUsage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where several task threads hand items to one device: a bounded queue (in items and in bytes) drained by
 * a single worker thread that forms batches of at most {@code maxItems} items and {@code maxBytes} bytes.
 * The worker waits up to {@code linger} for a batch to fill, so concurrent producers share full batches
 * instead of each sending its own partial one. Producers block when the queue is full (back-pressure
 * bounds memory). Every item's future completes exactly once: with its result, with the batch's failure,
 * or cancelled by its producer (then the item is dropped unrun). Every accepted item is also released
 * exactly once (the {@code release} callback, e.g. closing its off-heap vector): after its batch ran (before
 * its future completes), when it
 * is dropped because its producer cancelled it, or when the queue closes with it still waiting.
 *
 * @param <T> what producers submit
 * @param <R> one result per item
 */
final class BatchQueue<T, R> implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchQueue.class);

  private record Entry<T, R>(T item, long bytes, CompletableFuture<R> future) {}

  private final String name;
  private final int maxItems;
  private final long maxBytes;
  private final int capacityItems;
  private final long capacityBytes;
  private final long lingerNanos;
  private final Function<List<T>, List<R>> runner;
  private final Consumer<? super T> release;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Condition notFull = lock.newCondition();
  private final ArrayDeque<Entry<T, R>> queue = new ArrayDeque<>();
  private long queuedBytes;
  private boolean closed;
  private final Thread worker;
  /** What the worker ran: the device's busy time, for a queue in front of one device. */
  private final DeviceUsage usage = new DeviceUsage();

  /**
   * @param maxItems most items in one batch
   * @param maxBytes most bytes in one batch (an item larger than this runs alone)
   * @param capacityItems most items waiting; must be at least {@code maxItems} so a full batch can form
   * @param capacityBytes most bytes waiting (an item larger than this is still accepted into an empty queue)
   * @param linger how long the worker waits for a batch to fill once it has its first item
   * @param runner runs one batch; must return one result per item, in order
   */
  BatchQueue(String name, int maxItems, long maxBytes, int capacityItems, long capacityBytes,
      long linger, TimeUnit unit, Function<List<T>, List<R>> runner) {
    this(name, maxItems, maxBytes, capacityItems, capacityBytes, linger, unit, runner, item -> {});
  }

  /** As above; {@code release} is called once per accepted item when the queue is done with it. */
  BatchQueue(String name, int maxItems, long maxBytes, int capacityItems, long capacityBytes,
      long linger, TimeUnit unit, Function<List<T>, List<R>> runner, Consumer<? super T> release) {
    if (maxItems < 1 || maxBytes < 1 || capacityItems < maxItems || capacityBytes < 1 || linger < 0) {
      throw new IllegalArgumentException(String.format(
          "%s: bad limits maxItems=%d maxBytes=%d capacityItems=%d capacityBytes=%d linger=%d",
          name, maxItems, maxBytes, capacityItems, capacityBytes, linger));
    }
    this.name = name;
    this.maxItems = maxItems;
    this.maxBytes = maxBytes;
    this.capacityItems = capacityItems;
    this.capacityBytes = capacityBytes;
    this.lingerNanos = unit.toNanos(linger);
    this.runner = runner;
    this.release = release;
    this.worker = new Thread(this::work, name);
    worker.setDaemon(true);
    worker.start();
  }

  /**
   * Queues one item, blocking while the queue is full; the future completes when its batch has run.
   * Cancelling the future before its batch forms drops (and releases) the item at once. If this throws, the
   * item was not accepted and the caller still owns it.
   */
  CompletableFuture<R> submit(T item, long bytes) throws InterruptedException {
    CompletableFuture<R> future = new CompletableFuture<>();
    Entry<T, R> entry = new Entry<>(item, bytes, future);
    lock.lockInterruptibly();
    try {
      while (!closed && !queue.isEmpty()
          && (queue.size() >= capacityItems || queuedBytes + bytes > capacityBytes)) {
        notFull.await();
      }
      if (closed) {
        throw new IllegalStateException(name + " is closed");
      }
      queue.addLast(entry);
      queuedBytes += bytes;
      notEmpty.signal();
    } finally {
      lock.unlock();
    }
    // A killed task cancels its futures: free a still-waiting item now rather than when the next batch forms.
    future.whenComplete((r, e) -> {
      if (future.isCancelled()) {
        dropIfWaiting(entry);
      }
    });
    return future;
  }

  /** Removes and releases {@code entry} if it is still waiting; whoever removes an entry releases it. */
  private void dropIfWaiting(Entry<T, R> entry) {
    lock.lock();
    try {
      if (!queue.removeFirstOccurrence(entry)) {
        return; // already in a batch (released after it runs) or dropped
      }
      queuedBytes -= entry.bytes();
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
    releaseQuietly(entry.item());
  }

  private void releaseQuietly(T item) {
    try {
      release.accept(item);
    } catch (RuntimeException e) {
      LOG.error("{}: releasing an item failed", name, e);
    }
  }

  /** Items waiting (not yet in a running batch). */
  int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** The batches the worker has run, their items and its busy time ({@link DeviceUsage#sinceLastReport}). */
  DeviceUsage usage() {
    return usage;
  }

  private void work() {
    try {
      while (true) {
        List<Entry<T, R>> batch = nextBatch();
        if (batch == null) {
          return;
        }
        run(batch);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The next batch, or null once closed and drained. */
  private List<Entry<T, R>> nextBatch() throws InterruptedException {
    lock.lock();
    try {
      while (queue.isEmpty()) {
        if (closed) {
          return null;
        }
        notEmpty.await();
      }
      // Wait (bounded) for a full batch: full by count, or the next item would not fit by bytes.
      long deadline = System.nanoTime() + lingerNanos;
      while (!closed && !batchIsFull()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        notEmpty.awaitNanos(left);
      }
      List<Entry<T, R>> batch = new ArrayList<>(maxItems);
      long bytes = 0;
      while (!queue.isEmpty() && batch.size() < maxItems) {
        Entry<T, R> next = queue.peekFirst();
        if (!batch.isEmpty() && bytes + next.bytes() > maxBytes) {
          break;
        }
        queue.pollFirst();
        queuedBytes -= next.bytes();
        if (next.future().isDone()) {
          releaseQuietly(next.item()); // cancelled by its producer (task killed): do not run it
          continue;
        }
        batch.add(next);
        bytes += next.bytes();
      }
      notFull.signalAll();
      return batch;
    } finally {
      lock.unlock();
    }
  }

  private boolean batchIsFull() {
    if (queue.size() >= maxItems) {
      return true;
    }
    long bytes = 0;
    for (Entry<T, R> e : queue) {
      bytes += e.bytes();
      if (bytes > maxBytes) {
        return true;
      }
    }
    return false;
  }

  private void run(List<Entry<T, R>> batch) {
    if (batch.isEmpty()) {
      return;
    }
    List<T> items = new ArrayList<>(batch.size());
    for (Entry<T, R> e : batch) {
      items.add(e.item());
    }
    List<R> results = null;
    Throwable failure = null;
    long start = System.nanoTime();
    try {
      results = runner.apply(items);
      if (results.size() != items.size()) {
        throw new IllegalStateException(
            name + ": runner returned " + results.size() + " results for " + items.size() + " items");
      }
    } catch (RuntimeException | Error e) {
      LOG.error("{}: a batch of {} failed", name, batch.size(), e);
      failure = e;
    } finally {
      // Released before any future completes: a producer that has its result never sees its memory held.
      for (T item : items) {
        releaseQuietly(item);
      }
      // Counted before any future completes, so a task that reports its usage when its last result arrives
      // sees its batch.
      usage.record(items.size(), System.nanoTime() - start);
    }
    for (int i = 0; i < batch.size(); i++) {
      if (failure == null) {
        batch.get(i).future().complete(results.get(i));
      } else {
        batch.get(i).future().completeExceptionally(failure);
      }
    }
  }

  /** Stops accepting items, fails the ones still waiting, and waits (bounded) for the running batch. */
  @Override
  public void close() {
    List<Entry<T, R>> dropped;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      dropped = new ArrayList<>(queue);
      queue.clear();
      queuedBytes = 0;
      notEmpty.signalAll();
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
    for (Entry<T, R> e : dropped) {
      releaseQuietly(e.item());
      e.future().completeExceptionally(new CancellationException(name + " closed"));
    }
    try {
      worker.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
