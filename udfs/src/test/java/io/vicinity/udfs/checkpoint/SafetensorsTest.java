package io.vicinity.udfs.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path tmp;

  @Test
  void floatTensorsRoundTripWithMetadata() {
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put("b.weight", HostTensor.ofFloats("b.weight", new int[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-7f, -0f}));
    tensors.put("a.bias", HostTensor.ofFloats("a.bias", new int[] {3}, new float[] {7, 8, 9}));
    tensors.put("scalar", HostTensor.ofFloats("scalar", new int[] {}, new float[] {42}));
    tensors.put("empty", HostTensor.ofFloats("empty", new int[] {0, 4}, new float[0]));
    Path file = tmp.resolve("model.safetensors");
    SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));

    Map<String, HostTensor> read = SafetensorsReader.readTensors(file);
    assertEquals(List.of("b.weight", "a.bias", "scalar", "empty"), List.copyOf(read.keySet()));
    for (String name : tensors.keySet()) {
      assertArrayEquals(tensors.get(name).shape(), read.get(name).shape(), name);
      assertArrayEquals(tensors.get(name).toFloats(), read.get(name).toFloats(), name);
      assertEquals(HostDType.F32, read.get(name).dtype());
    }
    assertEquals(Map.of("format", "pt"), SafetensorsReader.readMetadata(file));
  }

  @Test
  void headerIsPaddedSoDataIsAligned() throws IOException {
    Path file = tmp.resolve("m.safetensors");
    SafetensorsWriter.write(file, Map.of("x", HostTensor.ofFloats("x", new int[] {1}, new float[] {1})));
    long headerLength = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8);
  }

  @Test
  void otherDtypesRoundTripBitForBit() {
    byte[] halfBits = {0x00, 0x3c, 0x00, (byte) 0xc0}; // 1.0, -2.0
    byte[] longs = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-3).putLong(1L << 33).array();
    byte[] doubles = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.25).array();
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put("h", HostTensor.ofBytes("h", new int[] {2}, HostDType.F16, halfBits));
    tensors.put("bf", HostTensor.ofBytes("bf", new int[] {2}, HostDType.BF16, halfBits));
    tensors.put("i", HostTensor.ofBytes("i", new int[] {2}, HostDType.I64, longs));
    tensors.put("d", HostTensor.ofBytes("d", new int[] {1}, HostDType.F64, doubles));
    tensors.put("flags", HostTensor.ofBytes("flags", new int[] {3}, HostDType.BOOL, new byte[] {1, 0, 1}));
    Path file = tmp.resolve("mixed.safetensors");
    SafetensorsWriter.write(file, tensors);

    StateDict read = SafetensorsReader.read(file);
    assertArrayEquals(new float[] {1, -2}, read.require("h").toFloats());
    assertEquals(HostDType.BF16, read.require("bf").dtype());
    assertArrayEquals(new long[] {-3, 1L << 33}, read.require("i").toLongs());
    assertArrayEquals(new float[] {0.25f}, read.require("d").toFloats());
    assertArrayEquals(new long[] {1, 0, 1}, read.require("flags").toLongs());
  }

  // ---- corrupt files: each message names the file and the reason ----

  @Test
  void truncatedFile() throws IOException {
    Path file = tmp.resolve("trunc.safetensors");
    SafetensorsWriter.write(file, Map.of("x", HostTensor.ofFloats("x", new int[] {4}, new float[4])));
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 3));
    assertFails(file, "tensor 'x' data_offsets [0, 16] lie outside the 13 data bytes");
  }

  @Test
  void headerLengthLargerThanFile() throws IOException {
    Path file = tmp.resolve("big.safetensors");
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put("{}      ".getBytes(StandardCharsets.US_ASCII));
    Files.write(file, b.array());
    assertFails(file, "header length 1000 does not fit in the 16-byte file");
  }

  @Test
  void tooShortForHeader() throws IOException {
    Path file = tmp.resolve("short.safetensors");
    Files.write(file, new byte[] {1, 2, 3});
    assertFails(file, "too short");
  }

  @Test
  void invalidJson() throws IOException {
    Path file = writeRaw("bad-json.safetensors", "{\"x\": {\"dtype\": \"F32\",", 0);
    assertFails(file, "header is not valid JSON");
  }

  @Test
  void offsetsOutOfRange() throws IOException {
    Path file = writeRaw("range.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8);
    assertFails(file, "tensor 'x' data_offsets [8, 16] lie outside the 8 data bytes");
  }

  @Test
  void sizeDoesNotMatchDtypeAndShape() throws IOException {
    Path file = writeRaw("size.safetensors", "{\"x\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16);
    assertFails(file, "tensor 'x' has dtype F16 and shape [2, 2] (8 bytes) but its data_offsets span 16 bytes");
  }

  @Test
  void overlappingTensors() throws IOException {
    Path file = writeRaw("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    assertFails(file, "overlap");
  }

  @Test
  void unsupportedDtype() throws IOException {
    Path file = writeRaw("dtype.safetensors", "{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    assertFails(file, "tensor 'x' has unsupported dtype \"F8_E4M3\"");
  }

  @Test
  void negativeShape() throws IOException {
    Path file = writeRaw("shape.safetensors", "{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4);
    assertFails(file, "tensor 'x' has an invalid shape [-1]");
  }

  private Path writeRaw(String name, String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json);
    Path file = tmp.resolve(name);
    Files.write(file, b.array());
    return file;
  }

  private static void assertFails(Path file, String reason) {
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> SafetensorsReader.read(file));
    assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }
}
