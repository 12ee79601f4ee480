package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.DeviceUsage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatchQueueTest {

  /** Runs batches by answering "result-" + item, and records every batch it saw. */
  private static final class Recorder {
    final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());

    List<String> run(List<Integer> batch) {
      batches.add(List.copyOf(batch));
      return batch.stream().map(i -> "result-" + i).toList();
    }
  }

  @Test
  void severalProducersShareFullBatchesAndEveryItemComesBackOnce() throws Exception {
    int producers = 6;
    int perProducer = 400;
    int batch = 16;
    Recorder recorder = new Recorder();
    ExecutorService threads = Executors.newFixedThreadPool(producers);
    try (BatchQueue<Integer, String> queue = new BatchQueue<>(
        "test", batch, Long.MAX_VALUE, 2 * batch, Long.MAX_VALUE, 2, TimeUnit.SECONDS, recorder::run)) {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<List<String>>> done = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        int first = p * perProducer;
        done.add(threads.submit(() -> {
          go.await();
          // Like a task: keep a window of items in flight, consume results in order.
          List<CompletableFuture<String>> inFlight = new ArrayList<>();
          for (int i = first; i < first + perProducer; i++) {
            inFlight.add(queue.submit(i, 1));
          }
          List<String> results = new ArrayList<>();
          for (CompletableFuture<String> f : inFlight) {
            results.add(f.get(30, TimeUnit.SECONDS));
          }
          return results;
        }));
      }
      go.countDown();
      for (int p = 0; p < producers; p++) {
        List<String> results = done.get(p).get(60, TimeUnit.SECONDS);
        for (int i = 0; i < perProducer; i++) {
          assertEquals("result-" + (p * perProducer + i), results.get(i), "each future gets its own item's result");
        }
      }
    } finally {
      threads.shutdownNow();
    }
    Set<Integer> seen = new HashSet<>();
    for (List<Integer> b : recorder.batches) {
      assertTrue(b.size() <= batch, "batch larger than maxItems: " + b.size());
      for (int item : b) {
        assertTrue(seen.add(item), "item " + item + " ran twice");
      }
    }
    assertEquals(producers * perProducer, seen.size(), "every item ran");
    // 2400 items in batches of 16 with a long linger: every batch is full.
    long partial = recorder.batches.stream().filter(b -> b.size() < batch).count();
    assertEquals(0, partial, "partial batches: " + recorder.batches.stream().map(List::size).toList());
  }

  @Test
  void usageCountsEachBatchOnceAndIsCountedBeforeItsFuturesComplete() throws Exception {
    try (BatchQueue<Integer, String> queue = new BatchQueue<>("usage", 4, Long.MAX_VALUE, 8, Long.MAX_VALUE, 0,
        TimeUnit.MILLISECONDS, batch -> {
          try {
            Thread.sleep(20); // a forward pass that takes measurable time
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return batch.stream().map(i -> "r" + i).toList();
        })) {
      List<CompletableFuture<String>> first = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        first.add(queue.submit(i, 1));
      }
      for (CompletableFuture<String> f : first) {
        f.get(10, TimeUnit.SECONDS);
      }
      // Read right after the last result, as a task ending does: its batches are already in.
      DeviceUsage.Snapshot a = queue.usage().sinceLastReport();
      assertEquals(3, a.items(), "items of the batches run so far");
      assertTrue(a.batches() >= 1 && a.batches() <= 3, "batches: " + a.batches());
      assertTrue(a.busyNanos() >= a.batches() * 20_000_000L, "busy time covers every 20 ms pass: " + a);
      queue.submit(7, 1).get(10, TimeUnit.SECONDS);
      DeviceUsage.Snapshot b = queue.usage().sinceLastReport();
      assertEquals(new DeviceUsage.Snapshot(1, 1, b.busyNanos()), b, "only what ran since the previous report");
      assertEquals(0, queue.usage().sinceLastReport().batches(), "nothing ran since");
      DeviceUsage.Snapshot total = queue.usage().total();
      assertEquals(a.batches() + 1, total.batches());
      assertEquals(a.busyNanos() + b.busyNanos(), total.busyNanos());
    }
  }

  @Test
  void batchesStopAtTheByteLimitAndAnOversizedItemRunsAlone() throws Exception {
    Recorder recorder = new Recorder();
    try (BatchQueue<Integer, String> queue = new BatchQueue<>(
        "bytes", 8, 100, 16, 10_000, 200, TimeUnit.MILLISECONDS, recorder::run)) {
      List<CompletableFuture<String>> futures = new ArrayList<>();
      futures.add(queue.submit(0, 500)); // larger than a batch may hold
      for (int i = 1; i <= 6; i++) {
        futures.add(queue.submit(i, 40));
      }
      for (CompletableFuture<String> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
    }
    for (List<Integer> b : recorder.batches) {
      long bytes = b.stream().mapToLong(i -> i == 0 ? 500 : 40).sum();
      assertTrue(b.size() == 1 || bytes <= 100, "batch " + b + " holds " + bytes + " bytes");
    }
    assertTrue(recorder.batches.contains(List.of(0)), "the 500-byte item ran alone: " + recorder.batches);
    assertEquals(7, recorder.batches.stream().mapToInt(List::size).sum());
  }

  @Test
  void producersBlockWhenTheQueueIsFull() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (BatchQueue<Integer, String> queue = new BatchQueue<>("full", 2, 1_000, 2, 1_000, 0,
        TimeUnit.MILLISECONDS, items -> {
          started.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return items.stream().map(String::valueOf).toList();
        })) {
      // One item first, so the worker's batch is known: with linger 0 it may take one of two items or both.
      queue.submit(1, 1);
      assertTrue(started.await(10, TimeUnit.SECONDS), "the worker took item 1 and blocks in the runner");
      queue.submit(2, 1);
      queue.submit(3, 1); // capacity 2 reached
      ExecutorService producer = Executors.newSingleThreadExecutor();
      try {
        Future<?> blocked = producer.submit(() -> queue.submit(4, 1));
        Thread.sleep(200);
        assertTrue(!blocked.isDone(), "a full queue must make the producer wait");
        release.countDown();
        blocked.get(10, TimeUnit.SECONDS);
      } finally {
        producer.shutdownNow();
      }
    }
  }

  @Test
  void cancelledItemsAreDroppedAndARunnerFailureFailsItsBatch() throws Exception {
    Recorder recorder = new Recorder();
    try (BatchQueue<Integer, String> queue = new BatchQueue<>("cancel", 4, 1_000, 8, 1_000, 300,
        TimeUnit.MILLISECONDS, recorder::run)) {
      CompletableFuture<String> kept = queue.submit(1, 1);
      CompletableFuture<String> cancelled = queue.submit(2, 1);
      cancelled.cancel(false);
      assertEquals("result-1", kept.get(10, TimeUnit.SECONDS));
      assertEquals(List.of(List.of(1)), recorder.batches, "the cancelled item never ran");
    }
    try (BatchQueue<Integer, String> failing = new BatchQueue<>("fail", 4, 1_000, 8, 1_000, 0,
        TimeUnit.MILLISECONDS, items -> {
          throw new IllegalStateException("device lost");
        })) {
      CompletableFuture<String> f = failing.submit(1, 1);
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
      assertEquals("device lost", e.getCause().getMessage());
    }
  }

  @Test
  void closeFailsWaitingItemsAndRefusesNewOnes() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    BatchQueue<Integer, String> queue = new BatchQueue<>("close", 1, 1_000, 4, 1_000, 0,
        TimeUnit.MILLISECONDS, items -> {
          try {
            release.await(5, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return items.stream().map(String::valueOf).toList();
        });
    CompletableFuture<String> running = queue.submit(1, 1);
    while (queue.queued() > 0) {
      Thread.sleep(5);
    }
    CompletableFuture<String> waiting = queue.submit(2, 1);
    Thread closer = new Thread(queue::close);
    closer.start();
    Thread.sleep(100);
    release.countDown();
    closer.join(10_000);
    assertEquals("1", running.get(1, TimeUnit.SECONDS), "the running batch finishes");
    assertThrows(java.util.concurrent.CancellationException.class, () -> waiting.get(1, TimeUnit.SECONDS));
    assertThrows(IllegalStateException.class, () -> queue.submit(3, 1));
    queue.close(); // idempotent
  }
}
