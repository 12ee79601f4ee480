package io.vicinity.udfs.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ModelLoadException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class HostTensorTest {

  @Test
  void stridedViewReadsInRowMajorOrder() {
    float[] storage = new float[10];
    for (int i = 0; i < storage.length; i++) {
      storage[i] = i;
    }
    ByteBuffer bytes = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(storage);
    // size (2, 3), stride (1, 2), offset 3: element [i][j] = storage[3 + i + 2j] (a transposed view).
    HostTensor view = new HostTensor("v", new int[] {2, 3}, HostDType.F32, LazyBytes.ready(bytes), 3,
        new long[] {1, 2});
    assertFalse(view.isContiguous());
    assertArrayEquals(new float[] {3, 5, 7, 4, 6, 8}, view.toFloats());
    ByteBuffer packed = view.toContiguousBytes();
    float[] repacked = new float[6];
    packed.asFloatBuffer().get(repacked);
    assertArrayEquals(new float[] {3, 5, 7, 4, 6, 8}, repacked);
  }

  @Test
  void integerTensorsReadAsLongs() {
    ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).putLong(1L << 40).putLong(7);
    HostTensor t = HostTensor.ofBytes("i", new int[] {3}, HostDType.I64, b.array());
    assertArrayEquals(new long[] {-5, 1L << 40, 7}, t.toLongs());
    assertArrayEquals(new long[] {255, 1}, HostTensor.ofBytes("u", new int[] {2}, HostDType.U8,
        new byte[] {(byte) 0xff, 1}).toLongs());
    assertArrayEquals(new long[] {1, 0}, HostTensor.ofBytes("b", new int[] {2}, HostDType.BOOL,
        new byte[] {2, 0}).toLongs());
  }

  @Test
  void toLongsRefusesFloatTensors() {
    HostTensor t = HostTensor.ofFloats("w", new int[] {1}, new float[] {1});
    ModelLoadException e = assertThrows(ModelLoadException.class, t::toLongs);
    assertTrue(e.getMessage().contains("'w'"), e.getMessage());
  }

  @Test
  void ofFloatsChecksLength() {
    assertThrows(IllegalArgumentException.class, () -> HostTensor.ofFloats("w", new int[] {2, 2}, new float[3]));
  }

  @Test
  void shapeIsDefensivelyCopied() {
    int[] shape = {2};
    HostTensor t = HostTensor.ofFloats("w", shape, new float[] {1, 2});
    shape[0] = 5;
    t.shape()[0] = 7;
    assertArrayEquals(new int[] {2}, t.shape());
  }
}
