package io.vicinity.it;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/** A small input folder with good images, broken ones and a non-image, written for one test class. */
final class TestImages {
  /** A good image with the size the output row must report. */
  record Good(String relativePath, int width, int height) {}

  static final List<Good> GOOD = List.of(
      new Good("square_64x64.png", 64, 64),
      new Good("wide_90x40.jpg", 90, 40),
      new Good("tall_30x70.png", 30, 70),
      new Good("nested/inner_50x50.JPEG", 50, 50));

  /** Random bytes named like a JPEG. */
  static final String CORRUPT = "corrupt.jpg";
  /** A zero-byte PNG. */
  static final String EMPTY = "empty.png";
  /** Not an image by extension: skipped and counted. */
  static final String TEXT = "notes.txt";

  private TestImages() {}

  static void writeTo(Path dir) throws IOException {
    SplittableRandom random = writeGood(dir);
    byte[] noise = new byte[512];
    random.nextBytes(noise);
    Files.write(dir.resolve(CORRUPT), noise);
    Files.write(dir.resolve(EMPTY), new byte[0]);
    Files.writeString(dir.resolve(TEXT), "not an image\n", StandardCharsets.UTF_8);
  }

  /** Writes the {@link #GOOD} images (the same bytes on every call); returns the generator to go on with. */
  static SplittableRandom writeGood(Path dir) throws IOException {
    SplittableRandom random = new SplittableRandom(7);
    for (Good good : GOOD) {
      writeImage(dir.resolve(good.relativePath()), good.width(), good.height(), random);
    }
    return random;
  }

  /** {@code count} small good images named {@code img-NN.png}, for jobs that need many tasks. */
  static void writeMany(Path dir, int count) throws IOException {
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < count; i++) {
      writeImage(dir.resolve(String.format("img-%02d.png", i)), 24 + i, 40 - i, random);
    }
  }

  private static void writeImage(Path file, int width, int height, SplittableRandom random)
      throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    String format = name.endsWith(".png") ? "png" : "jpg";
    if (!ImageIO.write(pattern(width, height, random), format, file.toFile())) {
      throw new IOException("no ImageIO writer for " + format);
    }
  }

  /** Broken and misleading inputs, each expected to give an error row unless it says otherwise. */
  static final String TRUNCATED = "truncated.png";
  /** A real PNG named .jpg: decoded by its content, a good row with the same numbers as its source. */
  static final String PNG_NAMED_JPG = "png_named.jpg";
  /** Plain text named .png. */
  static final String TEXT_NAMED_PNG = "text_named.png";
  /** A valid PNG signature and header claiming 30000x30000 pixels (900 megapixels), no pixel data. */
  static final String OVERSIZED = "oversized_30000x30000.png";

  /** The faults of {@link #writeTo}, plus the ones above, beside the good images. */
  static void writeFaults(Path dir) throws IOException {
    writeTo(dir);
    byte[] png = Files.readAllBytes(dir.resolve(GOOD.get(0).relativePath()));
    Files.write(dir.resolve(TRUNCATED), java.util.Arrays.copyOf(png, png.length / 2));
    Files.write(dir.resolve(PNG_NAMED_JPG), png);
    Files.writeString(dir.resolve(TEXT_NAMED_PNG), "this is not a PNG\n", StandardCharsets.UTF_8);
    Files.write(dir.resolve(OVERSIZED), pngHeaderOnly(30000, 30000));
  }

  /** PNG signature, IHDR (8-bit RGB) with a correct CRC, and IEND: a header without pixels. */
  static byte[] pngHeaderOnly(int width, int height) {
    java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(17);
    ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + 4 + 17 + 4 + 12);
    out.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    out.putInt(13).put(ihdr.array()).putInt(crc(ihdr.array()));
    byte[] iend = "IEND".getBytes(StandardCharsets.US_ASCII);
    out.putInt(0).put(iend).putInt(crc(iend));
    return out.array();
  }

  private static int crc(byte[] bytes) {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(bytes);
    return (int) crc.getValue();
  }

  /** Smooth colour plus noise, so each image gives a distinct embedding. */
  private static BufferedImage pattern(int w, int h, SplittableRandom random) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    float hue = (float) random.nextDouble();
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        Color base = Color.getHSBColor(hue + x / (3f * w), 0.7f, 0.4f + 0.5f * y / h);
        int jitter = random.nextInt(40);
        image.setRGB(x, y, new Color(Math.min(255, base.getRed() + jitter), base.getGreen(),
            Math.min(255, base.getBlue() + jitter / 2)).getRGB());
      }
    }
    return image;
  }
}
