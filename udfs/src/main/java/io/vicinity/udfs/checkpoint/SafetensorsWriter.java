package io.vicinity.udfs.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Writes a safetensors file: 8-byte little-endian header length, a JSON header, then the tensors'
 * bytes back to back in map order. Used by the demo-checkpoint generator and by tests.
 */
public final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetensorsWriter() {}

  /** Writes {@code tensors} (the map keys are the tensor names in the file) to {@code file}. */
  public static void write(Path file, Map<String, HostTensor> tensors) {
    write(file, tensors, Map.of());
  }

  /** As {@link #write(Path, Map)}, with string pairs stored under {@code __metadata__}. */
  public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
    byte[] header = header(tensors, metadata);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
      writeFully(out, length.flip());
      writeFully(out, ByteBuffer.wrap(header));
      for (HostTensor tensor : tensors.values()) {
        writeFully(out, tensor.toContiguousBytes());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static byte[] header(Map<String, HostTensor> tensors, Map<String, String> metadata) {
    ObjectNode root = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = root.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      HostTensor t = e.getValue();
      long size = t.numel() * t.dtype().itemSize();
      ObjectNode entry = root.putObject(e.getKey());
      entry.put("dtype", t.dtype().name());
      ArrayNode shape = entry.putArray("shape");
      for (int s : t.shape()) {
        shape.add(s);
      }
      entry.putArray("data_offsets").add(offset).add(offset + size);
      offset += size;
    }
    // Pad with spaces to a multiple of 8 so the data starts aligned, as the reference writer does.
    StringBuilder text = new StringBuilder(root.toString());
    while (text.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
      text.append(' ');
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      out.write(bytes);
    }
  }
}
