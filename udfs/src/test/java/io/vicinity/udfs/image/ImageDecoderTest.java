package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.testing.Fixtures;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Decoding and conversion rules that need no Pillow fixtures: images are made here with ImageIO. */
class ImageDecoderTest {

  private static final String PATH = "s3a://bucket/images/x";

  // ---------------------------------------------------------------- conversions

  @Test
  void rgbPngDecodesExactly() throws IOException {
    BufferedImage image = new BufferedImage(13, 7, BufferedImage.TYPE_3BYTE_BGR);
    fillNoise(image.getRaster(), 255, 1);
    RgbImage decoded = ImageDecoder.decode(PATH, encode(image, "png"));
    assertEquals(13, decoded.width());
    assertEquals(7, decoded.height());
    assertArrayEquals(expectedRgb(image.getRaster(), v -> v), decoded.rgb());
  }

  @Test
  void grayIsReplicatedWithoutGammaConversion() throws IOException {
    BufferedImage image = new BufferedImage(9, 4, BufferedImage.TYPE_BYTE_GRAY);
    fillNoise(image.getRaster(), 255, 2);
    RgbImage decoded = ImageDecoder.decode(PATH, encode(image, "png"));
    // getRGB() would brighten linear grey; Pillow keeps the stored value
    assertArrayEquals(expectedRgb(image.getRaster(), v -> v), decoded.rgb());
  }

  @Test
  void sixteenBitGraySaturatesLikePillow() throws IOException {
    BufferedImage image = new BufferedImage(5, 1, BufferedImage.TYPE_USHORT_GRAY);
    image.getRaster().setSamples(0, 0, 5, 1, 0, new int[] {0, 200, 255, 256, 65535});
    RgbImage decoded = ImageDecoder.decode(PATH, encode(image, "png"));
    assertArrayEquals(rgbOf(0, 200, 255, 255, 255), decoded.rgb());
  }

  @Test
  void sixteenBitRgbKeepsHighByte() throws IOException {
    ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
        false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
    WritableRaster raster = model.createCompatibleWritableRaster(3, 1);
    raster.setPixels(0, 0, 3, 1, new int[] {0x1234, 0xFFFF, 0x00FF, 0x8000, 0x7FFF, 0x0100, 1, 2, 3});
    BufferedImage image = new BufferedImage(model, raster, false, null);
    RgbImage decoded = ImageDecoder.decode(PATH, encode(image, "png"));
    assertArrayEquals(bytes(0x12, 0xFF, 0x00, 0x80, 0x7F, 0x01, 0, 0, 0), decoded.rgb());
  }

  @Test
  void alphaIsDroppedNotComposited() throws IOException {
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_4BYTE_ABGR);
    image.getRaster().setPixels(0, 0, 2, 1, new int[] {10, 20, 30, 0, 200, 100, 50, 128});
    RgbImage decoded = ImageDecoder.decode(PATH, encode(image, "png"));
    assertArrayEquals(bytes(10, 20, 30, 200, 100, 50), decoded.rgb());
  }

  @Test
  void paletteIsLookedUpInPngBmpAndGif() throws IOException {
    // 256 entries: with a 4-entry palette ImageIO's BMP writer emits a 4-bit BMP its own reader
    // misreads (a JDK problem, not ours); Pillow writes 8-bit palette BMPs anyway
    byte[] r = Arrays.copyOf(bytes(255, 0, 17, 90), 256);
    byte[] g = Arrays.copyOf(bytes(0, 255, 34, 91), 256);
    byte[] b = Arrays.copyOf(bytes(0, 0, 51, 92), 256);
    IndexColorModel palette = new IndexColorModel(8, 256, r, g, b);
    // 8 rows: ImageIO's own GIF writer/reader pair loses rows of 2-row interlaced images
    BufferedImage image = new BufferedImage(4, 8, BufferedImage.TYPE_BYTE_INDEXED, palette);
    byte[] twoRows = bytes(255, 0, 0, 0, 255, 0, 17, 34, 51, 90, 91, 92,
        90, 91, 92, 17, 34, 51, 0, 255, 0, 255, 0, 0);
    byte[] expected = new byte[twoRows.length * 4];
    for (int rows = 0; rows < 8; rows += 2) {
      image.getRaster().setSamples(0, rows, 4, 2, 0, new int[] {0, 1, 2, 3, 3, 2, 1, 0});
      System.arraycopy(twoRows, 0, expected, rows / 2 * twoRows.length, twoRows.length);
    }
    for (String format : new String[] {"png", "bmp", "gif"}) {
      assertArrayEquals(expected, ImageDecoder.decode(PATH, encode(image, format)).rgb(), format);
    }
  }

  @Test
  void bmpDecodesExactly() throws IOException {
    BufferedImage image = new BufferedImage(11, 6, BufferedImage.TYPE_3BYTE_BGR);
    fillNoise(image.getRaster(), 255, 3);
    assertArrayEquals(expectedRgb(image.getRaster(), v -> v), ImageDecoder.decode(PATH, encode(image, "bmp")).rgb());
  }

  @Test
  void jpegDecodesCloseToTheOriginal() throws IOException {
    BufferedImage image = new BufferedImage(32, 24, BufferedImage.TYPE_3BYTE_BGR);
    WritableRaster raster = image.getRaster();
    for (int y = 0; y < 24; y++) {
      for (int x = 0; x < 32; x++) {
        raster.setPixel(x, y, new int[] {x * 8, y * 10, 128});
      }
    }
    RgbImage decoded = ImageDecoder.decode(PATH, encode(image, "jpeg"));
    RgbImage original = new RgbImage(32, 24, expectedRgb(raster, v -> v));
    double[] diff = RgbAssertions.meanAndMaxAbsDiff(original, decoded);
    assertTrue(diff[0] < 3, "mean abs diff " + diff[0]);
  }

  /**
   * Colour JPEGs decode into an RGB-ordered raster (ImageDecoder's fast path): the bytes must be exactly those of
   * the decoder's default BGR image read sample by sample, for generated images of odd sizes and the fixtures'
   * 4:2:0, 4:4:4 and grey JPEGs (grey takes the default path).
   */
  @Test
  void jpegFastPathGivesTheDefaultDecodersBytes() throws IOException {
    List<byte[]> jpegs = new ArrayList<>();
    for (int[] size : new int[][] {{1, 1}, {17, 9}, {64, 48}, {203, 131}}) {
      BufferedImage image = new BufferedImage(size[0], size[1], BufferedImage.TYPE_3BYTE_BGR);
      fillNoise(image.getRaster(), 255, size[0]);
      jpegs.add(encode(image, "jpeg"));
    }
    Path fixtures = Fixtures.dir("preprocess/images");
    for (String name : new String[] {"rgb_200x150_q90.jpg", "rgb_97x211_q95_444.jpg", "l_64x64_jpeg.jpg"}) {
      jpegs.add(Files.readAllBytes(fixtures.resolve(name)));
    }
    for (byte[] jpeg : jpegs) {
      BufferedImage reference = ImageIO.read(new ByteArrayInputStream(jpeg));
      byte[] expected = new byte[reference.getWidth() * reference.getHeight() * 3];
      PillowRgbConversion.fromComponents(reference.getRaster(), reference.getColorModel(), false, expected);
      RgbImage decoded = ImageDecoder.decode(PATH, jpeg);
      assertArrayEquals(expected, decoded.rgb(), reference.getWidth() + "x" + reference.getHeight());
    }
  }

  // ---------------------------------------------------------------- errors

  @Test
  void emptyFile() {
    assertMessage("empty file", new byte[0]);
    assertMessage("empty file", null);
  }

  @Test
  void randomBytes() {
    byte[] noise = new byte[100];
    new Random(7).nextBytes(noise);
    noise[0] = 0x12;
    noise[1] = 0x34;
    ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(PATH, noise));
    assertTrue(e.getMessage().startsWith(PATH + ": not a recognised image format (first bytes 0x1234"),
        e.getMessage());
  }

  @Test
  void truncatedPng() throws IOException {
    BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_3BYTE_BGR);
    fillNoise(image.getRaster(), 255, 4);
    byte[] png = encode(image, "png");
    for (int keep : new int[] {png.length / 2, png.length - 12, png.length - 1}) {
      assertMessage("truncated or corrupt PNG data", Arrays.copyOf(png, keep));
    }
  }

  @Test
  void pngWithBadCrc() throws IOException {
    byte[] png = encode(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY), "png");
    png[png.length - 20] ^= 0x55; // inside the IDAT chunk
    assertMessage("truncated or corrupt PNG data", png);
  }

  @Test
  void truncatedJpeg() throws IOException {
    BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_3BYTE_BGR);
    fillNoise(image.getRaster(), 255, 5);
    byte[] jpeg = encode(image, "jpeg");
    for (int keep : new int[] {jpeg.length / 2, jpeg.length - 2, 200}) {
      assertMessage("truncated or corrupt JPEG data", Arrays.copyOf(jpeg, keep));
    }
  }

  @Test
  void truncatedGifAndBmp() throws IOException {
    IndexColorModel palette = new IndexColorModel(8, 2, bytes(0, 255), bytes(0, 255), bytes(0, 255));
    BufferedImage indexed = new BufferedImage(30, 20, BufferedImage.TYPE_BYTE_INDEXED, palette);
    fillNoise(indexed.getRaster(), 1, 6);
    byte[] gif = encode(indexed, "gif");
    assertMessage("truncated or corrupt GIF data", Arrays.copyOf(gif, gif.length / 2));
    byte[] bmp = encode(new BufferedImage(30, 20, BufferedImage.TYPE_3BYTE_BGR), "bmp");
    assertMessage("truncated or corrupt BMP data", Arrays.copyOf(bmp, bmp.length - 7));
  }

  @Test
  void hugePngIsRefusedFromItsHeader() {
    byte[] bomb = pngHeaderOnly(30000, 30000);
    assertMessage("image is 30000x30000 = 900 megapixels, above the limit of 178956970 pixels", bomb);
  }

  @Test
  void pixelLimitIsConfigurable() throws IOException {
    byte[] png = encode(new BufferedImage(11, 10, BufferedImage.TYPE_BYTE_GRAY), "png");
    ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> new ImageDecoder(100).read(PATH, png));
    assertTrue(e.getMessage().contains("11x10") && e.getMessage().contains("limit of 100 pixels"), e.getMessage());
    assertEquals(11, new ImageDecoder(110).read(PATH, png).width());
  }

  // ---------------------------------------------------------------- helpers

  private static void assertMessage(String expectedPart, byte[] bytes) {
    ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(PATH, bytes));
    assertTrue(e.getMessage().startsWith(PATH + ": ") && e.getMessage().contains(expectedPart),
        "message was: " + e.getMessage());
  }

  /** A PNG signature, an IHDR (8-bit RGB) with valid CRC, and IEND: no pixel data at all. */
  static byte[] pngHeaderOnly(int width, int height) {
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    ByteBuffer out = ByteBuffer.allocate(8 + 25 + 12);
    out.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IEND", new byte[0]);
    return out.array();
  }

  private static void chunk(ByteBuffer out, String type, byte[] data) {
    byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.putInt(data.length).put(typeBytes).put(data).putInt((int) crc.getValue());
  }

  static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(image, format, out)) {
      throw new IllegalStateException("no ImageIO writer for " + format + " and " + image);
    }
    return out.toByteArray();
  }

  private static void fillNoise(WritableRaster raster, int max, long seed) {
    Random random = new Random(seed);
    for (int y = 0; y < raster.getHeight(); y++) {
      for (int x = 0; x < raster.getWidth(); x++) {
        for (int b = 0; b < raster.getNumBands(); b++) {
          raster.setSample(x, y, b, random.nextInt(max + 1));
        }
      }
    }
  }

  /** Raster samples as RGB bytes (grey replicated), mapped by {@code to8}. */
  private static byte[] expectedRgb(WritableRaster raster, java.util.function.IntUnaryOperator to8) {
    int w = raster.getWidth();
    int h = raster.getHeight();
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          int band = raster.getNumBands() == 1 ? 0 : c;
          out[(y * w + x) * 3 + c] = (byte) to8.applyAsInt(raster.getSample(x, y, band));
        }
      }
    }
    return out;
  }

  private static byte[] rgbOf(int... grays) {
    byte[] out = new byte[grays.length * 3];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) grays[i / 3];
    }
    return out;
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }
}
