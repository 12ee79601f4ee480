package io.vicinity.udfs.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns a decoded {@link BufferedImage} into RGB bytes the way Pillow's {@code Image.convert("RGB")}
 * does. We read raster samples, never {@code BufferedImage.getRGB}: that applies colour-space
 * conversion (linear grey to sRGB brightens grey images) which Pillow does not do.
 *
 * <ul>
 *   <li>alpha is dropped, not composited;
 *   <li>grey is replicated into R, G and B;
 *   <li>palette images are looked up in the palette (transparency ignored); ImageIO presents
 *       1/2/4-bit grey PNGs as a grey-ramp palette, which gives Pillow's 0/255, x*85, x*17;
 *   <li>16-bit samples keep their high byte (Pillow unpacks RGB;16B, LA;16B, RGBA;16B that way),
 *       except 16-bit grey PNGs (colour type 0): Pillow opens them as mode I;16 and its I;16 to RGB
 *       conversion saturates, so values of 256 and above become 255 (not v >> 8);
 *   <li>other sample widths (e.g. 5-bit BMP channels) are scaled v * 255 / max (not checked
 *       against Pillow).
 * </ul>
 */
final class PillowRgbConversion {

  private PillowRgbConversion() {}

  /**
   * @param saturatingGray16 the source is 16-bit grey that Pillow opens as mode I;16 (see
   *     ImageDecoder); its samples are clipped to 255 instead of shifted
   */
  static RgbImage toRgb(BufferedImage image, boolean saturatingGray16) {
    int width = image.getWidth();
    int height = image.getHeight();
    Raster raster = image.getRaster();
    ColorModel colorModel = image.getColorModel();
    byte[] inPlace = rgbArray(raster, colorModel);
    if (inPlace != null) {
      return new RgbImage(width, height, inPlace);
    }
    byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
    if (colorModel instanceof IndexColorModel palette) {
      fromPalette(raster, palette, rgb);
    } else if (!fromInterleavedBytes(raster, colorModel, rgb)) {
      fromComponents(raster, colorModel, saturatingGray16, rgb);
    }
    return new RgbImage(width, height, rgb);
  }

  /**
   * The raster's own byte array when it already is the image's RGB bytes, row after row (an RGB-ordered JPEG
   * destination, see ImageDecoder); null otherwise. The image is the decoder's and dropped after conversion, so
   * its array can become the result.
   */
  private static byte[] rgbArray(Raster raster, ColorModel colorModel) {
    if (!(raster.getDataBuffer() instanceof DataBufferByte buffer) || buffer.getNumBanks() != 1
        || buffer.getOffset() != 0 || !(raster.getSampleModel() instanceof ComponentSampleModel model)
        || raster.getNumBands() != 3 || colorModel.getNumComponents() != 3 || colorModel.hasAlpha()
        || raster.getParent() != null) {
      return null;
    }
    int[] offsets = model.getBandOffsets();
    for (int band = 0; band < 3; band++) {
      if (colorModel.getComponentSize(band) != 8 || offsets[band] != band) {
        return null;
      }
    }
    byte[] data = buffer.getData();
    boolean rowAfterRow = model.getPixelStride() == 3 && model.getScanlineStride() == 3 * raster.getWidth()
        && raster.getMinX() == 0 && raster.getMinY() == 0 && raster.getSampleModelTranslateX() == 0
        && raster.getSampleModelTranslateY() == 0 && data.length == 3L * raster.getWidth() * raster.getHeight();
    return rowAfterRow ? data : null;
  }

  /**
   * The common case, 8-bit samples in one byte array (JPEG's BGR, 8-bit PNG and grey): read the array in place,
   * the same bytes {@link #fromComponents} gets through {@code Raster.getSamples}, which cost a decoding thread
   * several times the JPEG decode itself. False (nothing written) for any other layout.
   */
  static boolean fromInterleavedBytes(Raster raster, ColorModel colorModel, byte[] rgb) {
    int colorBands = colorModel.getNumColorComponents();
    if (!(raster.getDataBuffer() instanceof DataBufferByte buffer) || buffer.getNumBanks() != 1
        || !(raster.getSampleModel() instanceof ComponentSampleModel model) || (colorBands != 1 && colorBands != 3)) {
      return false;
    }
    for (int band = 0; band < colorBands; band++) {
      if (colorModel.getComponentSize(band) != 8) {
        return false;
      }
    }
    int[] offsets = model.getBandOffsets();
    int r = offsets[0];
    int g = offsets[colorBands == 1 ? 0 : 1];
    int b = offsets[colorBands == 1 ? 0 : 2];
    int pixelStride = model.getPixelStride();
    int scanline = model.getScanlineStride();
    byte[] data = buffer.getData();
    // Raster (x, y) is sample-model (x - translateX, y - translateY): non-zero for a child raster.
    int x0 = raster.getMinX() - raster.getSampleModelTranslateX();
    int y0 = raster.getMinY() - raster.getSampleModelTranslateY();
    int width = raster.getWidth();
    int o = 0;
    for (int y = 0; y < raster.getHeight(); y++) {
      int p = buffer.getOffset() + (y0 + y) * scanline + x0 * pixelStride;
      for (int x = 0; x < width; x++, p += pixelStride) {
        rgb[o++] = data[p + r];
        rgb[o++] = data[p + g];
        rgb[o++] = data[p + b];
      }
    }
    return true;
  }

  private static void fromPalette(Raster raster, IndexColorModel palette, byte[] rgb) {
    int width = raster.getWidth();
    int height = raster.getHeight();
    int[] indices = new int[width];
    int o = 0;
    for (int y = 0; y < height; y++) {
      raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, indices);
      for (int x = 0; x < width; x++) {
        int index = indices[x];
        rgb[o++] = (byte) palette.getRed(index);
        rgb[o++] = (byte) palette.getGreen(index);
        rgb[o++] = (byte) palette.getBlue(index);
      }
    }
  }

  static void fromComponents(Raster raster, ColorModel colorModel, boolean saturatingGray16, byte[] rgb) {
    int colorBands = colorModel.getNumColorComponents();
    if (colorBands != 1 && colorBands != 3) {
      throw new IllegalArgumentException("unsupported colour model with " + colorBands + " colour components");
    }
    int bits = colorModel.getComponentSize(0);
    int width = raster.getWidth();
    int height = raster.getHeight();
    int[] row = new int[width];
    for (int band = 0; band < 3; band++) {
      int sourceBand = colorBands == 1 ? 0 : band;
      for (int y = 0; y < height; y++) {
        raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, sourceBand, row);
        int o = y * width * 3 + band;
        for (int x = 0; x < width; x++, o += 3) {
          rgb[o] = (byte) to8Bit(row[x], bits, saturatingGray16);
        }
      }
    }
  }

  private static int to8Bit(int sample, int bits, boolean saturatingGray16) {
    if (bits == 8) {
      return sample;
    }
    if (bits == 16) {
      return saturatingGray16 ? Math.min(sample, 255) : sample >>> 8;
    }
    int max = (1 << bits) - 1;
    return sample * 255 / max;
  }
}
