package io.vicinity.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** fromHost from direct buffers (how off-heap Arrow pixels reach a backend) equals fromHost(float[]). */
class FromHostDirectTest {

  /** Little-endian floats in a direct buffer; {@code pad} junk bytes before them (positions are honoured). */
  static ByteBuffer direct(float[] values, int from, int count, int pad) {
    ByteBuffer b = ByteBuffer.allocateDirect(pad + 4 * count).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < pad; i++) {
      b.put((byte) 0x7f);
    }
    for (int i = 0; i < count; i++) {
      b.putFloat(values[from + i]);
    }
    b.position(pad);
    return b;
  }

  @Test
  void partsConcatenateInOrderAndMatchTheHeapPath() {
    Random rnd = new Random(7);
    float[] data = new float[2 * 3 * 5 * 3];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) rnd.nextGaussian();
    }
    int half = data.length / 2;
    try (CpuBackend cpu = new CpuBackend(); Arena a = cpu.openArena("test")) {
      ByteBuffer first = direct(data, 0, half, 3);
      ByteBuffer second = direct(data, half, half, 0);
      Tensor t = cpu.fromHost(List.of(first, second), 2, 3, 5, 3);
      assertArrayEquals(cpu.toHost(cpu.fromHost(data, 2, 3, 5, 3)), cpu.toHost(t), 0f);
      assertEquals(3, first.position(), "positions are left unchanged");
      Tensor one = cpu.fromHost(direct(data, 0, data.length, 0), data.length);
      assertArrayEquals(data, cpu.toHost(one), 0f);
    }
  }

  @Test
  void wrongByteCountOrHeapBufferIsRefusedWithTheShape() {
    try (CpuBackend cpu = new CpuBackend(); Arena a = cpu.openArena("test")) {
      ByteBuffer eight = ByteBuffer.allocateDirect(32);
      Exception e = assertThrows(RuntimeException.class, () -> cpu.fromHost(eight, 3, 3));
      assertEquals(true, e.getMessage().contains("[3, 3]"), e.getMessage());
      assertThrows(RuntimeException.class, () -> cpu.fromHost(ByteBuffer.allocate(36), 3, 3));
    }
  }
}
