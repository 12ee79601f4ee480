package io.vicinity.udfs.image;

/** The container formats we decode, recognised by their magic bytes (never by file name). */
enum ImageFormat {
  JPEG("jpeg", new int[] {0xFF, 0xD8, 0xFF}),
  PNG("png", new int[] {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}),
  GIF("gif", new int[] {'G', 'I', 'F', '8'}),
  BMP("bmp", new int[] {'B', 'M'});

  /** Name that {@code ImageIO.getImageReadersByFormatName} knows. */
  final String imageIoName;
  private final int[] magic;

  ImageFormat(String imageIoName, int[] magic) {
    this.imageIoName = imageIoName;
    this.magic = magic;
  }

  /** The format whose magic bytes start {@code bytes}, or null. */
  static ImageFormat detect(byte[] bytes) {
    for (ImageFormat format : values()) {
      if (format.matches(bytes)) {
        return format;
      }
    }
    return null;
  }

  private boolean matches(byte[] bytes) {
    if (bytes.length < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if ((bytes[i] & 0xFF) != magic[i]) {
        return false;
      }
    }
    return true;
  }

  /** Up to the first 8 bytes as hex, for messages about unrecognised files. */
  static String firstBytesHex(byte[] bytes) {
    StringBuilder sb = new StringBuilder("0x");
    for (int i = 0; i < Math.min(8, bytes.length); i++) {
      sb.append(String.format("%02X", bytes[i] & 0xFF));
    }
    return sb.toString();
  }
}
