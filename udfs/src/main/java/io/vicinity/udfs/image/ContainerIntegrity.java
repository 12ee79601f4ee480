package io.vicinity.udfs.image;

import java.util.zip.CRC32;

/**
 * Structural checks of the encoded file, done before decoding pixels. ImageIO often returns a
 * partially decoded image (grey or black below the cut) for a truncated file instead of failing;
 * Pillow raises instead, and so do we. Each check returns null when the container is complete, else
 * a short reason.
 */
final class ContainerIntegrity {

  private ContainerIntegrity() {}

  static String findProblem(ImageFormat format, byte[] b) {
    return switch (format) {
      case PNG -> png(b);
      case JPEG -> jpeg(b);
      case GIF -> gif(b);
      case BMP -> bmp(b);
    };
  }

  /** Every chunk complete with a correct CRC (Pillow checks CRCs too), up to IEND. */
  static String png(byte[] b) {
    int pos = 8;
    while (pos + 8 <= b.length) {
      long length = u32be(b, pos);
      String type = new String(b, pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
      if (pos + 12 + length > b.length) {
        return "file ends inside the " + type + " chunk";
      }
      CRC32 crc = new CRC32();
      crc.update(b, pos + 4, 4 + (int) length);
      if (crc.getValue() != u32be(b, pos + 8 + (int) length)) {
        return "bad CRC in the " + type + " chunk";
      }
      if (type.equals("IEND")) {
        return null;
      }
      pos += 12 + (int) length;
    }
    return "missing IEND chunk (file is truncated)";
  }

  /**
   * Walks the marker segments; after each scan (SOS) skips the entropy-coded data, in which 0xFF
   * is always followed by 0x00 or a restart marker, to the next marker. A complete file reaches EOI.
   */
  static String jpeg(byte[] b) {
    int pos = 2;
    while (true) {
      if (pos >= b.length) {
        return "missing end-of-image marker (file is truncated)";
      }
      if ((b[pos] & 0xFF) != 0xFF) {
        return String.format("expected a marker at byte %d, found 0x%02X", pos, b[pos] & 0xFF);
      }
      while (pos < b.length && (b[pos] & 0xFF) == 0xFF) {
        pos++; // fill bytes
      }
      if (pos >= b.length) {
        return "missing end-of-image marker (file is truncated)";
      }
      int marker = b[pos++] & 0xFF;
      if (marker == 0xD9) {
        return null;
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
        continue; // markers without a length
      }
      if (pos + 2 > b.length) {
        return "file ends inside a marker segment";
      }
      int length = u16be(b, pos);
      if (length < 2 || pos + length > b.length) {
        return String.format("file ends inside the 0xFF%02X segment", marker);
      }
      if (isStartOfFrame(marker) && length >= 8 && (b[pos + 7] & 0xFF) == 4) {
        return "CMYK/YCCK JPEG (4 components) is not supported";
      }
      pos += length;
      if (marker == 0xDA) {
        pos = skipEntropyCodedData(b, pos);
      }
    }
  }

  private static boolean isStartOfFrame(int marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
  }

  /** Index of the 0xFF that starts the next real marker, or b.length if the data runs to the end. */
  private static int skipEntropyCodedData(byte[] b, int pos) {
    for (int i = pos; i + 1 < b.length; i++) {
      if ((b[i] & 0xFF) == 0xFF) {
        int next = b[i + 1] & 0xFF;
        if (next != 0x00 && next != 0xFF && !(next >= 0xD0 && next <= 0xD7)) {
          return i;
        }
      }
    }
    return b.length;
  }

  /** Blocks up to the end of the first image's data (we decode only the first frame). */
  static String gif(byte[] b) {
    if (b.length < 13) {
      return "file ends inside the header";
    }
    int pos = 13 + colorTableBytes(b[10]);
    while (pos < b.length) {
      int block = b[pos] & 0xFF;
      if (block == 0x21) { // extension: label, then sub-blocks
        pos = skipSubBlocks(b, pos + 2);
      } else if (block == 0x2C) { // image descriptor, local colour table, LZW code size, data
        if (pos + 11 > b.length) {
          return "file ends inside the first frame";
        }
        pos = skipSubBlocks(b, pos + 10 + colorTableBytes(b[pos + 9]) + 1);
        return pos < 0 ? "file ends inside the first frame's data" : null;
      } else if (block == 0x3B) {
        return "no image frame before the trailer";
      } else {
        return String.format("unexpected block 0x%02X at byte %d", block, pos);
      }
      if (pos < 0) {
        return "file ends inside an extension block";
      }
    }
    return "file ends before the first frame";
  }

  private static int colorTableBytes(byte packed) {
    return (packed & 0x80) != 0 ? 3 * (1 << ((packed & 7) + 1)) : 0;
  }

  /** Position after the terminating empty sub-block, or -1 if the file ends first. */
  private static int skipSubBlocks(byte[] b, int pos) {
    while (pos < b.length) {
      int size = b[pos] & 0xFF;
      pos += 1 + size;
      if (size == 0) {
        return pos;
      }
    }
    return -1;
  }

  /** For uncompressed BMPs, the pixel array must fit in the file. */
  static String bmp(byte[] b) {
    if (b.length < 26) {
      return "file ends inside the header";
    }
    long pixelOffset = u32le(b, 10);
    long headerSize = u32le(b, 14);
    long width;
    long height;
    int bitsPerPixel;
    long compression;
    if (headerSize == 12) {
      width = u16le(b, 18);
      height = u16le(b, 20);
      bitsPerPixel = u16le(b, 24);
      compression = 0;
    } else if (headerSize >= 40 && b.length >= 34) {
      width = (int) u32le(b, 18);
      height = Math.abs((long) (int) u32le(b, 22)); // negative height = top-down rows
      bitsPerPixel = u16le(b, 28);
      compression = u32le(b, 30);
    } else {
      return "file ends inside the header";
    }
    boolean uncompressed = compression == 0 || compression == 3 || compression == 6;
    if (uncompressed && width > 0) {
      long rowBytes = (bitsPerPixel * width + 31) / 32 * 4;
      long needed = pixelOffset + rowBytes * height;
      if (b.length < needed) {
        return "pixel data is " + (needed - b.length) + " bytes short (file is truncated)";
      }
    }
    return null;
  }

  private static long u32be(byte[] b, int p) {
    return ((long) (b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
  }

  private static int u16be(byte[] b, int p) {
    return ((b[p] & 0xFF) << 8) | (b[p + 1] & 0xFF);
  }

  private static long u32le(byte[] b, int p) {
    return ((long) (b[p + 3] & 0xFF) << 24) | ((b[p + 2] & 0xFF) << 16) | ((b[p + 1] & 0xFF) << 8) | (b[p] & 0xFF);
  }

  private static int u16le(byte[] b, int p) {
    return ((b[p + 1] & 0xFF) << 8) | (b[p] & 0xFF);
  }
}
