package io.vicinity.kernels.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Splits index ranges over one fork-join pool shared by every operator of a backend. */
final class Parallel implements AutoCloseable {
  /** Chunks per worker: enough slack to balance uneven rows without drowning in tiny tasks. */
  private static final int CHUNKS_PER_WORKER = 4;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final ForkJoinPool pool;
  private final int parallelism;

  /** The body of a parallel loop: handles indices {@code from} (inclusive) to {@code to} (exclusive). */
  interface RangeBody {
    void run(int from, int to);
  }

  Parallel(int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("CPU backend: parallelism must be >= 1, got " + parallelism);
    }
    this.parallelism = parallelism;
    int poolId = POOLS.incrementAndGet();
    this.pool =
        new ForkJoinPool(
            parallelism,
            p -> {
              ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
              t.setName("vicinity-cpu-" + poolId + "-" + t.getPoolIndex());
              t.setDaemon(true);
              return t;
            },
            null,
            false);
  }

  int parallelism() {
    return parallelism;
  }

  /**
   * Runs {@code body} over {@code [0, count)} in chunks of at least {@code grain} indices, on the pool;
   * returns when all are done and rethrows the first failure.
   */
  void forRange(int count, int grain, RangeBody body) {
    if (count <= 0) {
      return;
    }
    int chunks = (int) Math.min((count + (long) grain - 1) / Math.max(1, grain), (long) parallelism * CHUNKS_PER_WORKER);
    if (chunks <= 1 || parallelism == 1) {
      body.run(0, count);
      return;
    }
    int chunkSize = (count + chunks - 1) / chunks;
    pool.invoke(new RangeTask(body, 0, count, chunkSize));
  }

  @Override
  public void close() {
    pool.shutdown();
    try {
      pool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class RangeTask extends RecursiveAction {
    private final RangeBody body;
    private final int from;
    private final int to;
    private final int chunkSize;

    RangeTask(RangeBody body, int from, int to, int chunkSize) {
      this.body = body;
      this.from = from;
      this.to = to;
      this.chunkSize = chunkSize;
    }

    @Override
    protected void compute() {
      if (to - from <= chunkSize) {
        body.run(from, to);
        return;
      }
      int mid = from + (to - from) / 2;
      invokeAll(new RangeTask(body, from, mid, chunkSize), new RangeTask(body, mid, to, chunkSize));
    }
  }
}
