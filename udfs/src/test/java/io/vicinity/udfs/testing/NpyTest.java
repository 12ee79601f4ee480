package io.vicinity.udfs.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The byte strings were written by numpy 1.x/2.x {@code np.save} (and format.write_array for 2.0). */
class NpyTest {

  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }

  private static final String FLOAT32_2X3 = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f000010c000004040cdcccc3d000000000000e040";
  private static final String FLOAT64_3X2 = "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000000000000000000000000000e03f000000000000f03f000000000000f83f00000000000000400000000000000440";
  private static final String UINT8_4 = "934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028342c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00ff8007";
  private static final String INT64_V2 = "934e554d50590200740000007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200affffffffffffffff0000000000010000";
  private static final String FLOAT32_SCALAR = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a00005040";

  @Test
  void readsFloat32Matrix() {
    Npy.Array a = Npy.read(hex(FLOAT32_2X3));
    assertArrayEquals(new int[] {2, 3}, a.shape());
    assertArrayEquals(new float[] {1.5f, -2.25f, 3.0f, 0.1f, 0f, 7f}, a.floats());
  }

  @Test
  void readsFloat64() {
    Npy.Array a = Npy.read(hex(FLOAT64_3X2));
    assertArrayEquals(new int[] {3, 2}, a.shape());
    assertArrayEquals(new double[] {0, 0.5, 1, 1.5, 2, 2.5}, a.doubles());
  }

  @Test
  void readsUint8Vector() {
    Npy.Array a = Npy.read(hex(UINT8_4));
    assertArrayEquals(new int[] {4}, a.shape());
    assertArrayEquals(new byte[] {0, (byte) 255, (byte) 128, 7}, a.bytes());
  }

  @Test
  void readsVersion2Int64() {
    Npy.Array a = Npy.read(hex(INT64_V2));
    assertArrayEquals(new long[] {-1, 1L << 40}, a.longs());
  }

  @Test
  void readsScalar() {
    Npy.Array a = Npy.read(hex(FLOAT32_SCALAR));
    assertEquals(0, a.shape().length);
    assertArrayEquals(new float[] {3.25f}, a.floats());
  }

  @Test
  void refusesWrongDtypeAndBadFiles() {
    Npy.Array a = Npy.read(hex(FLOAT32_2X3));
    assertThrows(IllegalStateException.class, a::bytes);
    assertThrows(IllegalArgumentException.class, () -> Npy.read(new byte[] {1, 2, 3}));
    byte[] cut = hex(FLOAT32_2X3);
    assertThrows(IllegalArgumentException.class,
        () -> Npy.read(java.util.Arrays.copyOf(cut, cut.length - 1)));
  }

  @Test
  void writeRoundTrips() {
    byte[] data = {1, 2, 3, 4, 5, 6};
    Npy.Array a = Npy.read(Npy.write("|u1", new int[] {2, 1, 3}, data));
    assertArrayEquals(new int[] {2, 1, 3}, a.shape());
    assertArrayEquals(data, a.bytes());
  }
}
