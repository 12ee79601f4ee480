package io.vicinity.udfs.checkpoint;

import io.vicinity.udfs.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The central directory of a zip file, read by hand so that stored (uncompressed) entries, which is how
 * torch.save writes tensor storages, can be memory-mapped in place instead of copied through
 * {@link java.util.zip.ZipFile}. Deflated entries are inflated into heap memory. Supports zip64.
 */
final class ZipArchive {
  private static final int EOCD_SIGNATURE = 0x06054b50;
  private static final int ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
  private static final int ZIP64_EOCD_SIGNATURE = 0x06064b50;
  private static final int CENTRAL_SIGNATURE = 0x02014b50;
  private static final int LOCAL_SIGNATURE = 0x04034b50;
  private static final int STORED = 0;
  private static final int DEFLATED = 8;

  /** One entry; {@code dataOffset} is where its (possibly compressed) bytes start in the file. */
  record Entry(String name, int method, long compressedSize, long size, long dataOffset) {}

  private final Path file;
  private final Map<String, Entry> entries;

  private ZipArchive(Path file, Map<String, Entry> entries) {
    this.file = file;
    this.entries = entries;
  }

  static ZipArchive open(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return new ZipArchive(file, Collections.unmodifiableMap(readEntries(file, channel)));
    } catch (IOException e) {
      throw new ModelLoadException(file + ": cannot read zip archive: " + e.getMessage(), e);
    }
  }

  Map<String, Entry> entries() {
    return entries;
  }

  /** The entry's uncompressed bytes: a memory mapping when stored, an inflated copy when deflated. */
  ByteBuffer read(Entry entry) {
    if (entry.method() == STORED) {
      return SafetensorsReader.map(file, entry.dataOffset(), entry.size());
    }
    ByteBuffer compressed = SafetensorsReader.map(file, entry.dataOffset(), entry.compressedSize());
    return ByteBuffer.wrap(inflate(entry, compressed));
  }

  private byte[] inflate(Entry entry, ByteBuffer compressed) {
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(compressed);
      byte[] out = new byte[(int) entry.size()];
      int n = 0;
      while (n < out.length && !inflater.finished()) {
        int got = inflater.inflate(out, n, out.length - n);
        if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        n += got;
      }
      if (n != out.length) {
        throw fail("entry '" + entry.name() + "' inflates to " + n + " bytes, expected " + out.length);
      }
      return out;
    } catch (DataFormatException e) {
      throw fail("entry '" + entry.name() + "' is corrupt: " + e.getMessage());
    } finally {
      inflater.end();
    }
  }

  private static Map<String, Entry> readEntries(Path file, FileChannel channel) throws IOException {
    long fileSize = channel.size();
    int tailSize = (int) Math.min(fileSize, 22 + 65535);
    ByteBuffer tail = read(channel, fileSize - tailSize, tailSize);
    int eocd = -1;
    for (int i = tailSize - 22; i >= 0; i--) {
      if (tail.getInt(i) == EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      throw new ModelLoadException(file + ": not a zip archive (no end-of-central-directory record)");
    }
    long count = tail.getShort(eocd + 10) & 0xffff;
    long directorySize = tail.getInt(eocd + 12) & 0xffffffffL;
    long directoryOffset = tail.getInt(eocd + 16) & 0xffffffffL;
    long eocdPosition = fileSize - tailSize + eocd;
    if (count == 0xffff || directorySize == 0xffffffffL || directoryOffset == 0xffffffffL) {
      ByteBuffer locator = read(channel, eocdPosition - 20, 20);
      if (locator.getInt(0) != ZIP64_LOCATOR_SIGNATURE) {
        throw new ModelLoadException(file + ": zip64 archive without a zip64 locator");
      }
      ByteBuffer zip64 = read(channel, locator.getLong(8), 56);
      if (zip64.getInt(0) != ZIP64_EOCD_SIGNATURE) {
        throw new ModelLoadException(file + ": corrupt zip64 end-of-central-directory record");
      }
      count = zip64.getLong(32);
      directorySize = zip64.getLong(40);
      directoryOffset = zip64.getLong(48);
    }
    if (directoryOffset < 0 || directorySize < 0 || directoryOffset + directorySize > fileSize
        || directorySize > Integer.MAX_VALUE) {
      throw new ModelLoadException(file + ": central directory lies outside the file (truncated?)");
    }
    ByteBuffer directory = read(channel, directoryOffset, (int) directorySize);
    Map<String, Entry> entries = new LinkedHashMap<>();
    int p = 0;
    for (long i = 0; i < count; i++) {
      if (p + 46 > directory.limit() || directory.getInt(p) != CENTRAL_SIGNATURE) {
        throw new ModelLoadException(file + ": corrupt central directory at entry " + i);
      }
      int method = directory.getShort(p + 10) & 0xffff;
      long compressedSize = directory.getInt(p + 20) & 0xffffffffL;
      long size = directory.getInt(p + 24) & 0xffffffffL;
      int nameLength = directory.getShort(p + 28) & 0xffff;
      int extraLength = directory.getShort(p + 30) & 0xffff;
      int commentLength = directory.getShort(p + 32) & 0xffff;
      long localOffset = directory.getInt(p + 42) & 0xffffffffL;
      if (p + 46 + nameLength + extraLength > directory.limit()) {
        throw new ModelLoadException(file + ": corrupt central directory at entry " + i);
      }
      byte[] nameBytes = new byte[nameLength];
      directory.get(p + 46, nameBytes);
      String name = new String(nameBytes, StandardCharsets.UTF_8);
      // Zip64 extra field: the 64-bit values appear in this order, only for fields saturated above.
      int extra = p + 46 + nameLength;
      for (int e = extra; e + 4 <= extra + extraLength; ) {
        int id = directory.getShort(e) & 0xffff;
        int length = directory.getShort(e + 2) & 0xffff;
        if (id == 0x0001) {
          int q = e + 4;
          if (size == 0xffffffffL) { size = directory.getLong(q); q += 8; }
          if (compressedSize == 0xffffffffL) { compressedSize = directory.getLong(q); q += 8; }
          if (localOffset == 0xffffffffL) { localOffset = directory.getLong(q); }
        }
        e += 4 + length;
      }
      if (method != STORED && method != DEFLATED) {
        throw new ModelLoadException(file + ": entry '" + name + "' uses unsupported compression method " + method);
      }
      if (localOffset < 0 || localOffset + 30 > fileSize) {
        throw new ModelLoadException(file + ": entry '" + name + "' starts outside the file (truncated?)");
      }
      ByteBuffer local = read(channel, localOffset, 30);
      if (local.getInt(0) != LOCAL_SIGNATURE) {
        throw new ModelLoadException(file + ": entry '" + name + "' has a corrupt local header");
      }
      long dataOffset = localOffset + 30 + (local.getShort(26) & 0xffff) + (local.getShort(28) & 0xffff);
      if (compressedSize < 0 || size < 0 || dataOffset + compressedSize > fileSize) {
        throw new ModelLoadException(file + ": entry '" + name + "' extends past the end of the file (truncated?)");
      }
      if (size > Integer.MAX_VALUE || (method == STORED && size != compressedSize)) {
        throw new ModelLoadException(file + ": entry '" + name + "' has an unsupported size " + size);
      }
      entries.put(name, new Entry(name, method, compressedSize, size, dataOffset));
      p += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  }

  private static ByteBuffer read(FileChannel channel, long position, int size) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    if (position < 0) {
      throw new IOException("read before the start of the file");
    }
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
      }
    }
    return buffer.flip().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Small entries (the pickle, byteorder) as a byte array. */
  byte[] readBytes(Entry entry) {
    ByteBuffer b = read(entry);
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private ModelLoadException fail(String reason) {
    return new ModelLoadException(file + ": " + reason);
  }
}
