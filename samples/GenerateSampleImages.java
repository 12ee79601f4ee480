import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Writes the sample images the demo runs on (samples/images). Run once from the repository root and
 * commit the output; the pictures are procedural, so reruns give the same pixels:
 *
 * <pre>java samples/GenerateSampleImages.java samples/images</pre>
 *
 * The set covers what the job must handle: PNG, JPEG (also upper-case .JPG), BMP and GIF; square and
 * non-square sizes; grayscale; an alpha channel; a nested folder; a corrupt file; a non-image file.
 */
public class GenerateSampleImages {
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "samples/images");
    Files.createDirectories(dir.resolve("nested"));

    write(gradient(64, 64), "png", dir.resolve("gradient_64x64.png"));
    write(checkerboard(96, 64, 8), "png", dir.resolve("checkerboard_96x64.png"));
    write(circles(200, 120, BufferedImage.TYPE_INT_RGB), "jpg", dir.resolve("circles_200x120.jpg"));
    write(stripes(48, 160), "jpg", dir.resolve("stripes_48x160.jpeg"));
    write(grayscale(80, 80), "png", dir.resolve("grayscale_80x80.png"));
    write(alphaDisc(72, 72), "png", dir.resolve("alpha_disc_72x72.png"));
    write(noise(64, 48, 7), "bmp", dir.resolve("noise_64x48.bmp"));
    write(rings(100, 100), "gif", dir.resolve("rings_100x100.gif"));
    write(circles(128, 96, BufferedImage.TYPE_INT_RGB), "jpg", dir.resolve("UPPERCASE_128x96.JPG"));
    write(gradient(16, 16), "png", dir.resolve("tiny_16x16.png"));
    write(checkerboard(320, 240, 20), "jpg", dir.resolve("nested/checkerboard_320x240.jpg"));
    write(stripes(120, 90), "png", dir.resolve("nested/stripes_120x90.png"));

    // A JPEG cut off after 200 bytes, inside its tables: it starts like a JPEG but cannot be decoded.
    byte[] jpeg = Files.readAllBytes(dir.resolve("circles_200x120.jpg"));
    Files.write(dir.resolve("corrupt_truncated.jpg"), Arrays.copyOf(jpeg, 200));
    Files.writeString(dir.resolve("README.txt"),
        "Sample inputs for scripts/run-local.sh. This file is not an image: the job skips and counts it.\n"
            + "corrupt_truncated.jpg is deliberately broken: it yields a row with 'error' set.\n"
            + "Regenerate with: java samples/GenerateSampleImages.java samples/images\n",
        StandardCharsets.UTF_8);
  }

  private static void write(BufferedImage image, String format, Path file) throws IOException {
    if (!ImageIO.write(image, format, new File(file.toString()))) {
      throw new IOException("no ImageIO writer for " + format);
    }
  }

  private static BufferedImage gradient(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, new Color(255 * x / w, 255 * y / h, 128).getRGB());
      }
    }
    return img;
  }

  private static BufferedImage checkerboard(int w, int h, int cell) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        boolean dark = ((x / cell) + (y / cell)) % 2 == 0;
        img.setRGB(x, y, dark ? 0x202060 : 0xE0C040);
      }
    }
    return img;
  }

  private static BufferedImage circles(int w, int h, int type) {
    BufferedImage img = new BufferedImage(w, h, type);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(new Color(30, 110, 60));
    g.fillRect(0, 0, w, h);
    Color[] colors = {Color.RED, Color.ORANGE, Color.CYAN, Color.MAGENTA, Color.WHITE};
    for (int i = 0; i < colors.length; i++) {
      g.setColor(colors[i]);
      int r = Math.min(w, h) / (3 + i);
      g.fillOval(w * (i + 1) / (colors.length + 1) - r / 2, h / 2 - r / 2 + (i % 2) * r / 3, r, r);
    }
    g.dispose();
    return img;
  }

  private static BufferedImage stripes(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    for (int y = 0; y < h; y += 10) {
      g.setColor(Color.getHSBColor(y / (float) h, 0.8f, 0.9f));
      g.fillRect(0, y, w, 10);
    }
    g.dispose();
    return img;
  }

  private static BufferedImage grayscale(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double d = Math.hypot(x - w / 2.0, y - h / 2.0);
        int v = (int) (127.5 + 127.5 * Math.cos(d / 3.0));
        img.getRaster().setSample(x, y, 0, v);
      }
    }
    return img;
  }

  private static BufferedImage alphaDisc(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(new Color(40, 90, 220, 255));
    g.fillOval(4, 4, w - 8, h - 8);
    g.setColor(new Color(250, 200, 0, 120)); // half-transparent bar across a transparent background
    g.fillRect(0, h / 2 - 8, w, 16);
    g.dispose();
    return img;
  }

  private static BufferedImage noise(int w, int h, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, random.nextInt(0x1000000));
      }
    }
    return img;
  }

  private static BufferedImage rings(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.BLACK);
    g.fillRect(0, 0, w, h);
    g.setStroke(new BasicStroke(4));
    for (int r = 8; r < w / 2; r += 10) {
      g.setColor(Color.getHSBColor(r / (float) w, 1f, 1f));
      g.drawOval(w / 2 - r, h / 2 - r, 2 * r, 2 * r);
    }
    g.dispose();
    return img;
  }
}
