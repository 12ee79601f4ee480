package io.vicinity.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.Tensor;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Ownership of CPU tensors through arenas, and error messages that name the operator and shapes. */
class ArenaAndErrorsTest {
  private final CpuBackend cpu = new CpuBackend(2, true);

  @AfterEach
  void close() {
    cpu.close();
  }

  private Tensor ones(int... shape) {
    return cpu.fromHost(new float[TestData.numel(shape)], shape);
  }

  @Test
  void tensorsAreFreedWithTheirArena() {
    Tensor a;
    Tensor sum;
    try (Arena arena = cpu.openArena("batch")) {
      a = ones(2, 3);
      sum = cpu.add(a, a);
      assertEquals(2, arena.liveTensors());
      Tensor closedEarly = ones(1);
      closedEarly.close();
      assertEquals(2, arena.liveTensors(), "a tensor closed by hand leaves its arena");
    }
    assertTrue(a.isClosed());
    assertTrue(sum.isClosed());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> cpu.toHost(sum));
    assertTrue(e.getMessage().contains("toHost") && e.getMessage().contains("[2, 3]"), e.getMessage());
  }

  @Test
  void detachMovesATensorToTheEnclosingArenaOrTheCaller() {
    Tensor kept;
    Tensor toCaller;
    try (Arena outer = cpu.openArena("outer")) {
      try (Arena inner = cpu.openArena("inner")) {
        kept = inner.detach(ones(4));
        toCaller = ones(5);
        assertEquals(1, inner.liveTensors());
        assertEquals(1, outer.liveTensors());
      }
      assertFalse(kept.isClosed());
      assertTrue(toCaller.isClosed());
    }
    assertTrue(kept.isClosed());

    Tensor free;
    try (Arena only = cpu.openArena("only")) {
      free = only.detach(ones(3));
    }
    assertFalse(free.isClosed(), "with no enclosing arena the caller owns it");
    free.close();
    free.close(); // idempotent
  }

  @Test
  void sealedArenaKeepsItsTensorsUntilClosedOnAnotherThread() throws Exception {
    Arena weights = cpu.openArena("weights");
    Tensor w = ones(8, 8);
    weights.seal();
    Tensor outside = ones(2); // not collected by the sealed arena
    assertEquals(1, weights.liveTensors());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread closer = new Thread(() -> {
      try {
        weights.close();
        weights.close();
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    closer.start();
    closer.join();
    assertEquals(null, failure.get());
    assertTrue(w.isClosed());
    assertFalse(outside.isClosed());
    outside.close();
  }

  @Test
  void outOfOrderCloseThrowsAndStillFrees() {
    Arena outer = cpu.openArena("outer");
    Arena inner = cpu.openArena("inner");
    Tensor t = ones(1);
    IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
    assertTrue(e.getMessage().contains("outer"), e.getMessage());
    Tensor u = ones(1); // the inner arena is still the innermost one
    assertEquals(2, inner.liveTensors());
    inner.close();
    assertTrue(t.isClosed());
    assertTrue(u.isClosed());
  }

  @Test
  void shapeErrorsNameTheOperatorAndPrintShapes() {
    try (Arena arena = cpu.openArena("errors")) {
      Tensor x = ones(2, 5, 6);
      IllegalArgumentException linear =
          assertThrows(IllegalArgumentException.class, () -> cpu.linear(x, ones(4, 7), null, Epilogue.NONE));
      assertMessage(linear, "linear:", "[2, 5, 6]", "[4, 7]");
      IllegalArgumentException residual = assertThrows(IllegalArgumentException.class,
          () -> cpu.linear(x, ones(4, 6), null, Epilogue.residual(ones(2, 5, 3), null)));
      assertMessage(residual, "linear:", "residual", "[2, 5, 3]", "[2, 5, 4]");
      IllegalArgumentException bias =
          assertThrows(IllegalArgumentException.class, () -> cpu.linear(x, ones(4, 6), ones(5), Epilogue.NONE));
      assertMessage(bias, "linear:", "bias", "[5]");
      assertMessage(assertThrows(IllegalArgumentException.class, () -> cpu.add(x, ones(2, 6, 5))),
          "add:", "[2, 5, 6]", "[2, 6, 5]");
      assertMessage(assertThrows(IllegalArgumentException.class, () -> cpu.layerNorm(x, ones(5), null, 1e-5f)),
          "layerNorm:", "gamma", "[5]");
      assertMessage(assertThrows(IllegalArgumentException.class, () -> cpu.concatLast(x, ones(2, 4, 1))),
          "concatLast:", "[2, 5, 6]", "[2, 4, 1]");
      assertMessage(assertThrows(IllegalArgumentException.class, () -> cpu.pad2d(x, 1, 1)), "pad2d:", "[2, 5, 6]");
      assertMessage(assertThrows(IllegalArgumentException.class, () -> cpu.crop2d(ones(1, 4, 4, 2), 5, 1)),
          "crop2d:", "[1, 4, 4, 2]");
      assertMessage(assertThrows(IllegalArgumentException.class, () -> cpu.fromHost(new float[5], 2, 3)),
          "fromHost:", "[2, 3]");
    }
  }

  @Test
  void tensorsOfAnotherBackendAreRejected() {
    try (CpuBackend other = new CpuBackend(1); Arena arena = cpu.openArena("mixed")) {
      Tensor foreign = other.fromHost(new float[4], 2, 2);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.add(ones(2, 2), foreign));
      assertMessage(e, "add:", "another backend");
      foreign.close();
    }
  }

  @Test
  void closedBackendRefusesWork() {
    cpu.close();
    cpu.close();
    assertThrows(IllegalStateException.class, () -> cpu.fromHost(new float[1], 1));
  }

  private static void assertMessage(Exception e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' missing from: " + e.getMessage());
    }
  }
}
