package io.vicinity.udfs.segment;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * Label maps as grayscale PNGs whose sample values are the class indexes: 8-bit when every class fits in a
 * byte, 16-bit otherwise (no palette, no gamma, so any PNG reader gets the indexes back). Score maps are
 * 8-bit, probability * 255 rounded.
 */
public final class MaskPng {
  /** Classes an 8-bit mask can hold. */
  public static final int MAX_8_BIT_CLASSES = 256;
  /** Classes a 16-bit mask can hold. */
  public static final int MAX_CLASSES = 65536;

  private MaskPng() {}

  /** 8 or 16: the sample depth a model with {@code classes} classes gets. */
  public static int bitDepth(int classes) {
    if (classes < 1 || classes > MAX_CLASSES) {
      throw new IllegalArgumentException(classes + " classes do not fit a 16-bit mask (1.." + MAX_CLASSES + ")");
    }
    return classes <= MAX_8_BIT_CLASSES ? 8 : 16;
  }

  /** The label map as a PNG for a model with {@code classes} classes. */
  public static byte[] encodeLabels(LabelMap map, int classes) {
    int type = bitDepth(classes) == 8 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_USHORT_GRAY;
    return encode(map.width(), map.height(), type, map.labels());
  }

  /** The top-1 probabilities as an 8-bit PNG; the map must have been made with scores. */
  public static byte[] encodeScores(LabelMap map) {
    float[] p = map.topProbability();
    if (p == null) {
      throw new IllegalArgumentException("the label map was made without scores");
    }
    int[] levels = new int[p.length];
    for (int i = 0; i < p.length; i++) {
      levels[i] = Math.round(Math.min(1f, Math.max(0f, p[i])) * 255f);
    }
    return encode(map.width(), map.height(), BufferedImage.TYPE_BYTE_GRAY, levels);
  }

  /** A mask PNG read back as a label map (without scores). */
  public static LabelMap decodeLabels(byte[] png) {
    BufferedImage image = read(png);
    return new LabelMap(image.getWidth(), image.getHeight(), samples(image), null);
  }

  /** The sample values of a single-channel PNG (8 or 16 bit), row-major. */
  public static int[] decodeSamples(byte[] png) {
    return samples(read(png));
  }

  private static int[] samples(BufferedImage image) {
    return image.getRaster().getSamples(0, 0, image.getWidth(), image.getHeight(), 0, (int[]) null);
  }

  private static BufferedImage read(byte[] png) {
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(png));
    } catch (IOException e) {
      throw new UncheckedIOException("not a readable PNG", e);
    }
    if (image == null || image.getRaster().getNumBands() != 1) {
      throw new IllegalArgumentException("not a single-channel PNG mask");
    }
    return image;
  }

  private static byte[] encode(int width, int height, int type, int[] samples) {
    BufferedImage image = new BufferedImage(width, height, type);
    WritableRaster raster = image.getRaster();
    raster.setSamples(0, 0, width, height, 0, samples);
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, samples.length / 4));
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("no PNG writer in this JVM");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("PNG encoding failed", e);
    }
    return out.toByteArray();
  }
}
