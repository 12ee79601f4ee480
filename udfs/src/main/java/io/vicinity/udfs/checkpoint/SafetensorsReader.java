package io.vicinity.udfs.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a safetensors file: validates the whole header up front (length, JSON, dtypes, shapes, offsets
 * inside the file, sizes equal to numel * itemsize, no overlaps), then memory-maps each tensor's bytes
 * the first time the tensor is read.
 */
public final class SafetensorsReader {
  /** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetensorsReader() {}

  /** The file's tensors as a state dict whose messages name the file. */
  public static StateDict read(Path file) {
    return new StateDict(file.toString(), readTensors(file));
  }

  /** The tensors by name, in header order. */
  public static Map<String, HostTensor> readTensors(Path file) {
    return parse(file).tensors;
  }

  /** The string pairs under {@code __metadata__} (empty when there are none). */
  public static Map<String, String> readMetadata(Path file) {
    return parse(file).metadata;
  }

  private static final class Parsed {
    final Map<String, HostTensor> tensors = new LinkedHashMap<>();
    final Map<String, String> metadata = new LinkedHashMap<>();
  }

  /** One header entry's byte range, kept to check overlaps after all entries are read. */
  private record Span(String name, long begin, long end) {}

  private static Parsed parse(Path file) {
    long fileSize;
    byte[] headerBytes;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      fileSize = channel.size();
      if (fileSize < 8) {
        throw fail(file, "file is " + fileSize + " bytes, too short for a safetensors header");
      }
      long headerLength = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (headerLength < 2 || headerLength > fileSize - 8) {
        throw fail(file, "header length " + Long.toUnsignedString(headerLength) + " does not fit in the "
            + fileSize + "-byte file (truncated, or not a safetensors file)");
      }
      if (headerLength > MAX_HEADER_BYTES) {
        throw fail(file, "header length " + headerLength + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
      }
      headerBytes = readFully(channel, 8, (int) headerLength).array();
    } catch (IOException e) {
      throw new ModelLoadException(file + ": cannot read: " + e.getMessage(), e);
    }
    long dataStart = 8L + headerBytes.length;
    long dataSize = fileSize - dataStart;

    JsonNode header;
    try {
      header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw fail(file, "header is not valid JSON: " + e.getOriginalMessage());
    }
    if (header == null || !header.isObject()) {
      throw fail(file, "header is not a JSON object");
    }

    Parsed parsed = new Parsed();
    List<Span> spans = new ArrayList<>();
    for (Map.Entry<String, JsonNode> field : header.properties()) {
      String name = field.getKey();
      JsonNode entry = field.getValue();
      if (name.equals("__metadata__")) {
        readMetadata(file, entry, parsed.metadata);
        continue;
      }
      if (!entry.isObject()) {
        throw fail(file, "header entry for tensor '" + name + "' is not an object: " + entry);
      }
      HostDType dtype = HostDType.fromSafetensorsName(entry.path("dtype").asText(""));
      if (dtype == null) {
        throw fail(file, "tensor '" + name + "' has unsupported dtype " + entry.get("dtype"));
      }
      int[] shape = readShape(file, name, entry.get("shape"));
      long[] offsets = readOffsets(file, name, entry.get("data_offsets"));
      long begin = offsets[0];
      long end = offsets[1];
      if (end > dataSize) {
        throw fail(file, "tensor '" + name + "' data_offsets [" + begin + ", " + end + "] lie outside the "
            + dataSize + " data bytes of the file (truncated?)");
      }
      long expectedBytes = HostTensor.numel(shape) * dtype.itemSize();
      if (end - begin != expectedBytes) {
        throw fail(file, "tensor '" + name + "' has dtype " + dtype + " and shape " + Arrays.toString(shape)
            + " (" + expectedBytes + " bytes) but its data_offsets span " + (end - begin) + " bytes");
      }
      if (end - begin > Integer.MAX_VALUE) {
        throw fail(file, "tensor '" + name + "' is " + (end - begin) + " bytes; tensors above 2 GiB are not supported");
      }
      spans.add(new Span(name, begin, end));
      LazyBytes bytes = LazyBytes.of(() -> map(file, dataStart + begin, end - begin));
      parsed.tensors.put(name, HostTensor.contiguous(name, shape, dtype, bytes));
    }
    checkNoOverlap(file, spans);
    return parsed;
  }

  private static void readMetadata(Path file, JsonNode entry, Map<String, String> into) {
    if (!entry.isObject()) {
      throw fail(file, "__metadata__ is not an object: " + entry);
    }
    entry.properties().forEach(m -> into.put(m.getKey(), m.getValue().asText()));
  }

  private static int[] readShape(Path file, String name, JsonNode shape) {
    if (shape == null || !shape.isArray()) {
      throw fail(file, "tensor '" + name + "' has no shape array (found " + shape + ")");
    }
    int[] dims = new int[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      JsonNode d = shape.get(i);
      if (!d.canConvertToInt() || !d.isIntegralNumber() || d.intValue() < 0) {
        throw fail(file, "tensor '" + name + "' has an invalid shape " + shape);
      }
      dims[i] = d.intValue();
    }
    return dims;
  }

  private static long[] readOffsets(Path file, String name, JsonNode offsets) {
    if (offsets == null || !offsets.isArray() || offsets.size() != 2
        || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()
        || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()) {
      throw fail(file, "tensor '" + name + "' has invalid data_offsets " + offsets);
    }
    long begin = offsets.get(0).longValue();
    long end = offsets.get(1).longValue();
    if (begin < 0 || end < begin) {
      throw fail(file, "tensor '" + name + "' has invalid data_offsets " + offsets);
    }
    return new long[] {begin, end};
  }

  private static void checkNoOverlap(Path file, List<Span> spans) {
    List<Span> sorted = new ArrayList<>(spans);
    sorted.sort(Comparator.comparingLong(Span::begin).thenComparingLong(Span::end));
    for (int i = 1; i < sorted.size(); i++) {
      Span previous = sorted.get(i - 1);
      Span current = sorted.get(i);
      if (current.begin() < previous.end()) {
        throw fail(file, "tensors '" + previous.name() + "' [" + previous.begin() + ", " + previous.end()
            + ") and '" + current.name() + "' [" + current.begin() + ", " + current.end() + ") overlap");
      }
    }
  }

  static ByteBuffer map(Path file, long position, long size) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      // The mapping stays valid after the channel closes, so no file handle is held per tensor.
      return channel.map(FileChannel.MapMode.READ_ONLY, position, size);
    } catch (IOException e) {
      throw new ModelLoadException(file + ": cannot map bytes [" + position + ", " + (position + size)
          + "): " + e.getMessage(), e);
    }
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int size) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(size);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("unexpected end of file");
      }
    }
    return buffer.flip();
  }

  private static ModelLoadException fail(Path file, String reason) {
    return new ModelLoadException(file + ": " + reason);
  }
}
