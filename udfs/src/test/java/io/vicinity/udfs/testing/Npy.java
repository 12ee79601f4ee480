package io.vicinity.udfs.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads NumPy .npy files (format versions 1.0, 2.0 and 3.0): little-endian float32, float64,
 * int64, and uint8 (also int8/bool, as bytes), C order only. For comparing against reference
 * outputs written by the Python fixture scripts.
 */
public final class Npy {

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** A read array: numpy dtype string (e.g. "<f4"), shape, and the raw little-endian data. */
  public record Array(String dtype, int[] shape, ByteBuffer data) {

    public long size() {
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      return n;
    }

    public float[] floats() {
      requireDtype("<f4");
      float[] out = new float[(int) size()];
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }

    public double[] doubles() {
      requireDtype("<f8");
      double[] out = new double[(int) size()];
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
      return out;
    }

    public long[] longs() {
      requireDtype("<i8");
      long[] out = new long[(int) size()];
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
      return out;
    }

    /** uint8, int8 or bool data as bytes (read uint8 values with {@code & 0xFF}). */
    public byte[] bytes() {
      if (!dtype.equals("|u1") && !dtype.equals("|i1") && !dtype.equals("|b1")) {
        throw new IllegalStateException("array has dtype " + dtype + ", not a one-byte type");
      }
      byte[] out = new byte[(int) size()];
      data.duplicate().get(out);
      return out;
    }

    private void requireDtype(String expected) {
      if (!dtype.equals(expected)) {
        throw new IllegalStateException("array has dtype " + dtype + ", expected " + expected);
      }
    }

    @Override
    public String toString() {
      return "Npy.Array[" + dtype + " " + Arrays.toString(shape) + "]";
    }
  }

  public static Array read(Path file) {
    try {
      return read(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  public static Array read(byte[] file) {
    if (file.length < 10 || !Arrays.equals(Arrays.copyOf(file, 6), MAGIC)) {
      throw new IllegalArgumentException("not a .npy file (bad magic)");
    }
    int major = file[6];
    ByteBuffer buffer = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength;
    int headerStart;
    if (major == 1) {
      headerLength = buffer.getShort(8) & 0xFFFF;
      headerStart = 10;
    } else if (major == 2 || major == 3) {
      headerLength = buffer.getInt(8);
      headerStart = 12;
    } else {
      throw new IllegalArgumentException("unsupported .npy version " + major + "." + file[7]);
    }
    String header = new String(file, headerStart, headerLength,
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    String dtype = group(DESCR, header, "descr");
    if (group(FORTRAN, header, "fortran_order").equals("True")) {
      throw new IllegalArgumentException("Fortran-order arrays are not supported");
    }
    int[] shape = parseShape(group(SHAPE, header, "shape"));
    int dataStart = headerStart + headerLength;
    ByteBuffer data = ByteBuffer.wrap(file, dataStart, file.length - dataStart).slice();
    Array array = new Array(dtype, shape, data);
    long expectedBytes = array.size() * itemSize(dtype);
    if (data.remaining() != expectedBytes) {
      throw new IllegalArgumentException("expected " + expectedBytes + " data bytes for " + array
          + ", found " + data.remaining());
    }
    return array;
  }

  private static int itemSize(String dtype) {
    return switch (dtype) {
      case "<f4" -> 4;
      case "<f8", "<i8" -> 8;
      case "|u1", "|i1", "|b1" -> 1;
      default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
    };
  }

  private static String group(Pattern pattern, String header, String key) {
    Matcher m = pattern.matcher(header);
    if (!m.find()) {
      throw new IllegalArgumentException("header has no '" + key + "': " + header.trim());
    }
    return m.group(1);
  }

  private static int[] parseShape(String text) {
    return Arrays.stream(text.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .mapToInt(s -> Integer.parseInt(s.endsWith("L") ? s.substring(0, s.length() - 1) : s))
        .toArray();
  }

  /** Encodes a version 1.0 .npy file; for tests of code that reads them. */
  public static byte[] write(String dtype, int[] shape, byte[] littleEndianData) {
    StringBuilder dims = new StringBuilder();
    for (int d : shape) {
      dims.append(d).append(", ");
    }
    String shapeText = shape.length == 1 ? shape[0] + "," : dims.toString().replaceAll(", $", "");
    String dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (" + shapeText + "), }";
    int unpadded = 10 + dict.length() + 1;
    String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
    ByteBuffer out = ByteBuffer.allocate(10 + header.length() + littleEndianData.length)
        .order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    out.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(littleEndianData);
    return out.array();
  }
}
