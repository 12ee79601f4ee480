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
    SplittableRandom random = new SplittableRandom(7);
    for (Good good : GOOD) {
      Path file = dir.resolve(good.relativePath());
      Files.createDirectories(file.getParent());
      String format = good.relativePath().endsWith(".png") ? "png" : "jpg";
      if (!ImageIO.write(pattern(good.width(), good.height(), random), format, file.toFile())) {
        throw new IOException("no ImageIO writer for " + format);
      }
    }
    byte[] noise = new byte[512];
    random.nextBytes(noise);
    Files.write(dir.resolve(CORRUPT), noise);
    Files.write(dir.resolve(EMPTY), new byte[0]);
    Files.writeString(dir.resolve(TEXT), "not an image\n", StandardCharsets.UTF_8);
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
