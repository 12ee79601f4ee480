package io.vicinity.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** fromHost from direct buffers (how off-heap Arrow pixels reach a backend) equals fromHost(float[]). */
public class FromHostDirectTest {

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

  /** Bytes in a direct buffer after {@code pad} junk bytes, positioned at them. */
  public static ByteBuffer directBytes(byte[] values, int from, int count, int pad) {
    ByteBuffer b = ByteBuffer.allocateDirect(pad + count);
    b.position(pad);
    b.put(values, from, count);
    b.position(pad);
    return b;
  }

  /** What fromHostBytes must give, element by element from the shape's own indexing. */
  public static float[] lookedUp(byte[] bytes, float[] table, int channels) {
    float[] out = new float[bytes.length];
    for (int pixel = 0; pixel < bytes.length / channels; pixel++) {
      for (int c = 0; c < channels; c++) {
        out[pixel * channels + c] = table[c * 256 + Byte.toUnsignedInt(bytes[pixel * channels + c])];
      }
    }
    return out;
  }

  public static float[] randomTable(Random rnd, int channels) {
    float[] table = new float[channels * 256];
    for (int i = 0; i < table.length; i++) {
      table[i] = (float) rnd.nextGaussian() * 3f;
    }
    return table;
  }

  @Test
  void bytesGoThroughEachChannelsTableAcrossParts() {
    Random rnd = new Random(5);
    for (int channels = 1; channels <= 4; channels++) {
      byte[] bytes = new byte[2 * 7 * 5 * channels];
      rnd.nextBytes(bytes);
      float[] table = randomTable(rnd, channels);
      int cut = 31; // not a multiple of the channels: a part may end inside a pixel
      try (CpuBackend cpu = new CpuBackend(); Arena a = cpu.openArena("test")) {
        ByteBuffer first = directBytes(bytes, 0, cut, 2);
        Tensor t = cpu.fromHostBytes(List.of(first, directBytes(bytes, cut, 0, 1),
            directBytes(bytes, cut, bytes.length - cut, 0)), table, 2, 7, 5, channels);
        assertArrayEquals(lookedUp(bytes, table, channels), cpu.toHost(t), 0f, channels + " channels");
        assertEquals(2, first.position(), "positions are left unchanged");
      }
    }
  }

  @Test
  void fromHostBytesRefusesATableOrByteCountThatDoesNotFit() {
    try (CpuBackend cpu = new CpuBackend(); Arena a = cpu.openArena("test")) {
      ByteBuffer nine = ByteBuffer.allocateDirect(9);
      Exception e = assertThrows(IllegalArgumentException.class,
          () -> cpu.fromHostBytes(List.of(nine), new float[2 * 256], 3, 3));
      assertTrue(e.getMessage().contains("512 table values for 3 channels"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> cpu.fromHostBytes(List.of(nine), new float[3 * 256], 2, 3));
      assertTrue(e.getMessage().contains("9 bytes") && e.getMessage().contains("[2, 3]"), e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> cpu.fromHostBytes(List.of(ByteBuffer.allocateDirect(5)), new float[5 * 256], 1, 5));
      assertThrows(IllegalArgumentException.class,
          () -> cpu.fromHostBytes(List.of(ByteBuffer.allocate(9)), new float[3 * 256], 3, 3));
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
