package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.PixelMemory;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.UInt1Vector;
import org.junit.jupiter.api.Test;

/**
 * The queue's Arrow memory: the limit binds producers (they wait, nothing fails), oversized images run alone,
 * every vector is closed whether its batch ran, was cancelled or was still queued at close, and a vector left
 * open is reported. Each test owns its root allocator, so each is also a leak test.
 */
class ArrowPixelMemoryTest {
  private static final int FLOATS = 3 * 32 * 32; // one ordinary image

  /** One queued image: its id (the value of every pixel) and its vector. */
  private record Item(int id, PixelMemory.Pixels pixels) {
    long bytes() {
      return pixels.buffer().capacity();
    }
  }

  /** allocate -> write -> setValueCount, as the decoder does. */
  private static Item item(ArrowPixelMemory memory, int id, int floats) throws InterruptedException {
    PixelMemory.Pixels px = memory.allocate("img" + id, floats);
    FloatBuffer f = px.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    for (int i = 0; i < floats; i++) {
      f.put(i, id);
    }
    px.written();
    return new Item(id, px);
  }

  /** Bytes the allocator charges for one vector of {@code floats} (values plus validity, 1 KiB steps). */
  private static long charged(RootAllocator root, int floats) throws InterruptedException {
    try (ArrowPixelMemory probe = new ArrowPixelMemory(root, "probe", Long.MAX_VALUE)) {
      PixelMemory.Pixels px = probe.allocate("probe", floats);
      long bytes = probe.allocatedBytes();
      px.close();
      return bytes;
    }
  }

  @Test
  void aLimitBelowTwoBatchesStillMakesProgressAndIsNeverExceeded() throws Exception {
    int batch = 4;
    long batchBytes = 4L * FLOATS * batch;
    int oversized = FLOATS * batch * 5 / 4; // more than --batch-bytes: must run alone
    try (RootAllocator root = ArrowPixelMemory.newRoot()) {
      long limit = charged(root, oversized) + charged(root, FLOATS); // ~1.5 batches: less than two
      assertTrue(limit < 2 * batch * charged(root, FLOATS));
      List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
      ExecutorService producers = Executors.newFixedThreadPool(3);
      try (ArrowPixelMemory memory = new ArrowPixelMemory(root, "test-pixels", limit);
          BatchQueue<Item, Integer> queue = new BatchQueue<>("test", batch, batchBytes, 2 * batch, Long.MAX_VALUE,
              5, TimeUnit.MILLISECONDS, items -> {
                batches.add(items.stream().map(Item::id).toList());
                // Read each vector back: the values the producer wrote, so the memory was not reused early.
                return items.stream().map(it -> {
                  FloatBuffer f = it.pixels().buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                  for (int i = 0; i < f.capacity(); i++) {
                    if (f.get(i) != it.id()) {
                      return -1;
                    }
                  }
                  return it.id();
                }).toList();
              }, it -> it.pixels().close())) {
        List<Future<List<Integer>>> done = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
          int first = p * 100;
          done.add(producers.submit(() -> {
            List<CompletableFuture<Integer>> inFlight = new ArrayList<>();
            for (int i = first; i < first + 20; i++) {
              Item it = item(memory, i, i == 107 ? oversized : FLOATS);
              inFlight.add(queue.submit(it, it.bytes()));
            }
            List<Integer> results = new ArrayList<>();
            for (CompletableFuture<Integer> f : inFlight) {
              results.add(f.get(30, TimeUnit.SECONDS));
            }
            return results;
          }));
        }
        for (int p = 0; p < 3; p++) {
          List<Integer> results = done.get(p).get(60, TimeUnit.SECONDS);
          for (int i = 0; i < 20; i++) {
            assertEquals(p * 100 + i, results.get(i), "image read back from its own vector");
          }
        }
        assertTrue(batches.contains(List.of(107)), "the oversized image runs alone: " + batches);
        // peakBytes counts granted allocations only; sampling allocatedBytes() from another thread could see
        // Arrow's add-then-roll-back of a refused request, which never held memory.
        assertTrue(memory.peakBytes() <= limit, memory.peakBytes() + " > limit " + limit);
        // 60 images of which at most ~5 fit at once: producers must have waited (else the limit did not bind).
        assertTrue(memory.waits() > 0, "producers never waited");
        assertEquals(0, memory.allocatedBytes(), "every vector closed after its batch");
      } finally {
        producers.shutdownNow();
      }
      assertEquals(0, root.getAllocatedMemory());
    }
  }

  @Test
  void anImageLargerThanTheWholeLimitIsRefusedRatherThanAwaitedForever() throws Exception {
    try (RootAllocator root = ArrowPixelMemory.newRoot();
        ArrowPixelMemory memory = new ArrowPixelMemory(root, "small", 4L * FLOATS)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> memory.allocate("big", 4 * FLOATS));
      assertTrue(e.getMessage().contains("--queue-bytes") && e.getMessage().contains("small"), e.getMessage());
      assertEquals(0, memory.allocatedBytes());
    }
  }

  @Test
  void imageBytesAreAUInt1VectorChargedAByteEachWithTheSameWaitingAndRefusal() throws Exception {
    int bytes = 3 * 224 * 224;
    try (RootAllocator root = ArrowPixelMemory.newRoot()) {
      long one;
      try (ArrowPixelMemory probe = new ArrowPixelMemory(root, "probe", Long.MAX_VALUE)) {
        probe.allocateBytes("probe", bytes).close();
        one = probe.peakBytes();
      }
      // values plus the validity bitmap (1/8 byte per value), in 1 KiB steps: a quarter of float32's charge
      assertTrue(one >= bytes && one <= bytes + bytes / 8 + 2048, "charged " + one + " for " + bytes + " bytes");
      checkBytes(root, bytes, one);
    }
  }

  /** Room for two images of {@code bytes} charged {@code one} each, not three. */
  private static void checkBytes(RootAllocator root, int bytes, long one) throws Exception {
    try (ArrowPixelMemory memory = new ArrowPixelMemory(root, "bytes", 2 * one + one / 2)) {
      PixelMemory.Pixels a = memory.allocateBytes("a.jpg", bytes);
      assertEquals(bytes, a.buffer().capacity(), "exactly the image's bytes");
      a.buffer().put(bytes - 1, (byte) 200);
      a.written();
      UInt1Vector vector = (UInt1Vector) ArrowPixelMemory.vectorOf(a);
      assertEquals(bytes, vector.getValueCount());
      assertEquals(200, (int) vector.getObjectNoOverflow(bytes - 1), "read back unsigned as Arrow");
      PixelMemory.Pixels b = memory.allocateBytes("b.jpg", bytes);
      // A third does not fit: it waits until one is closed.
      CompletableFuture<PixelMemory.Pixels> third = CompletableFuture.supplyAsync(() -> {
        try {
          return memory.allocateBytes("c.jpg", bytes);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(200);
      assertFalse(third.isDone(), "the third image waits for room");
      a.close();
      third.get(10, TimeUnit.SECONDS).close();
      b.close();
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> memory.allocateBytes("huge.jpg", 3 * bytes));
      assertTrue(e.getMessage().contains(3 * bytes + " bytes need more than") && e.getMessage().contains("--queue-bytes"),
          e.getMessage());
      assertEquals(0, memory.allocatedBytes(), "every vector closed, the refused one included");
    }
  }

  @Test
  void cancelledAndStillQueuedImagesAreClosedToo() throws Exception {
    try (RootAllocator root = ArrowPixelMemory.newRoot()) {
      ArrowPixelMemory memory = new ArrowPixelMemory(root, "cancel", Long.MAX_VALUE);
      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch finish = new CountDownLatch(1);
      BatchQueue<Item, Integer> queue = new BatchQueue<>("test", 1, Long.MAX_VALUE, 4, Long.MAX_VALUE, 0,
          TimeUnit.MILLISECONDS, items -> {
            running.countDown();
            try {
              finish.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return items.stream().map(Item::id).toList();
          }, it -> it.pixels().close());
      Item first = item(memory, 1, FLOATS);
      CompletableFuture<Integer> a = queue.submit(first, first.bytes());
      assertTrue(running.await(10, TimeUnit.SECONDS));
      long one = memory.allocatedBytes();
      Item second = item(memory, 2, FLOATS);
      Item third = item(memory, 3, FLOATS);
      CompletableFuture<Integer> b = queue.submit(second, second.bytes());
      queue.submit(third, third.bytes());
      assertEquals(3 * one, memory.allocatedBytes());
      b.cancel(false); // as TaskPartition's completion listener does for a killed task
      assertEquals(2 * one, memory.allocatedBytes(), "a cancelled, queued image is closed at once");
      finish.countDown();
      assertEquals(1, a.get(10, TimeUnit.SECONDS));
      queue.close(); // the third may have run or still be queued: closed either way
      assertEquals(0, memory.allocatedBytes());
      memory.close();
      memory.close(); // idempotent
      assertEquals(0, root.getAllocatedMemory());
    }
  }

  @Test
  void closeReportsAVectorLeftOpen() throws Exception {
    RootAllocator root = ArrowPixelMemory.newRoot(); // not closed: it is left holding the leak on purpose
    ArrowPixelMemory memory = new ArrowPixelMemory(root, "leaky", Long.MAX_VALUE);
    item(memory, 1, FLOATS);
    IllegalStateException e = assertThrows(IllegalStateException.class, memory::close);
    assertTrue(e.getMessage().contains("leaky"), e.getMessage());
    memory.close(); // a second close neither throws nor reports again
    assertThrows(IllegalStateException.class, () -> memory.allocate("after", FLOATS));
  }
}
