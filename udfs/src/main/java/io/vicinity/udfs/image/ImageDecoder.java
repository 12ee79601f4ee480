package io.vicinity.udfs.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG, PNG, BMP and GIF (first frame) bytes to {@link RgbImage}, converted like Pillow's
 * {@code Image.open(f).convert("RGB")} (see {@link PillowRgbConversion}).
 *
 * <p>Order of work: recognise the format by magic bytes; read only the header to get the size and
 * refuse images above the pixel limit before any pixel memory is allocated; check the container
 * is complete (ImageIO silently returns half-decoded truncated files); decode; treat any decoder
 * warning as an error.
 *
 * <p>JPEG: ImageIO's decoder (libjpeg 6b) is not guaranteed bit-identical to libjpeg-turbo, which
 * Pillow uses (it matched exactly on our baseline 4:2:0, 4:4:4 and grey fixtures; other encodings
 * may differ by rounding), so JPEG parity is tested with a mean-absolute-difference tolerance. EXIF
 * orientation is not applied, as neither Pillow's {@code open} nor Hugging Face's processors apply
 * it. CMYK/YCCK JPEGs are refused with a clear message.
 *
 * <p>GIF: the first frame as ImageIO returns it (the frame's own size); Pillow pastes it onto the
 * logical screen, which differs only for GIFs whose first frame does not cover the screen.
 */
public final class ImageDecoder {

  /** Pillow's decompression-bomb error threshold: {@code 2 * Image.MAX_IMAGE_PIXELS}. */
  public static final long DEFAULT_MAX_PIXELS = 178_956_970L;

  /** Largest image whose RGB bytes fit in one Java array. */
  public static final long MAX_ARRAY_PIXELS = (Integer.MAX_VALUE - 8) / 3;

  private static final ImageDecoder DEFAULT = new ImageDecoder(DEFAULT_MAX_PIXELS);

  private final long maxPixels;

  public ImageDecoder(long maxPixels) {
    if (maxPixels <= 0 || maxPixels > MAX_ARRAY_PIXELS) {
      throw new IllegalArgumentException(
          "maxPixels must be in 1.." + MAX_ARRAY_PIXELS + " (RGB bytes fit one Java array), got " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  /** Decodes with the default pixel limit; {@code path} is used only in messages. */
  public static RgbImage decode(String path, byte[] bytes) {
    return DEFAULT.read(path, bytes);
  }

  public long maxPixels() {
    return maxPixels;
  }

  /** Decodes {@code bytes}; {@code path} is used only in messages. */
  public RgbImage read(String path, byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException(path, "empty file");
    }
    ImageFormat format = ImageFormat.detect(bytes);
    if (format == null) {
      throw new ImageDecodeException(path,
          "not a recognised image format (first bytes " + ImageFormat.firstBytesHex(bytes) + ")");
    }
    ImageReader reader = readerFor(path, format);
    List<String> warnings = new ArrayList<>();
    reader.addIIOReadWarningListener(collectInto(warnings));
    try (ImageInputStream input = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      reader.setInput(input, true, false);
      checkPixelLimit(path, reader.getWidth(0), reader.getHeight(0));
      String problem = ContainerIntegrity.findProblem(format, bytes);
      if (problem != null) {
        throw new ImageDecodeException(path, "truncated or corrupt " + format + " data: " + problem);
      }
      BufferedImage image = reader.read(0, readParam(reader, format));
      if (!warnings.isEmpty()) {
        throw new ImageDecodeException(path,
            "truncated or corrupt " + format + " data: " + String.join("; ", warnings));
      }
      return PillowRgbConversion.toRgb(image, isSixteenBitGrayPng(format, bytes));
    } catch (ImageDecodeException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // ImageIO signals corrupt data with IIOException, but some readers throw runtime exceptions
      throw new ImageDecodeException(path, "truncated or corrupt " + format + " data: " + e, e);
    } finally {
      reader.dispose();
    }
  }

  /**
   * For a colour JPEG whose decoder would give its default BGR bytes (sRGB, no ICC profile to convert through):
   * decode into an RGB-ordered byte raster instead. The decoder's RGB rows then go in with one copy per row
   * (into BGR it swaps every pixel) and {@link PillowRgbConversion} takes the array as it is: the same bytes,
   * without the two per-pixel passes that cost the decoding threads more than the JPEG decode. Null (the
   * decoder's default image) for anything else.
   */
  private static ImageReadParam readParam(ImageReader reader, ImageFormat format) throws IOException {
    if (format != ImageFormat.JPEG) {
      return null;
    }
    Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
    if (!types.hasNext() || types.next().getBufferedImageType() != BufferedImage.TYPE_3BYTE_BGR) {
      return null;
    }
    int width = reader.getWidth(0);
    int height = reader.getHeight(0);
    WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height,
        Math.multiplyExact(width, 3), 3, new int[] {0, 1, 2}, null);
    ColorModel rgb = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
        Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
    ImageReadParam param = reader.getDefaultReadParam();
    param.setDestination(new BufferedImage(rgb, raster, false, null));
    return param;
  }

  /**
   * PNG colour type 0 at 16 bits: Pillow opens it as mode I;16 (even with a tRNS chunk, which
   * ImageIO turns into an alpha band), and I;16 -> RGB saturates instead of taking the high byte.
   */
  private static boolean isSixteenBitGrayPng(ImageFormat format, byte[] bytes) {
    return format == ImageFormat.PNG && bytes.length > 25 && bytes[24] == 16 && bytes[25] == 0;
  }

  private void checkPixelLimit(String path, int width, int height) {
    long pixels = (long) width * height;
    if (pixels > maxPixels) {
      throw new ImageDecodeException(path, String.format(
          "image is %dx%d = %d megapixels, above the limit of %d pixels",
          width, height, Math.round(pixels / 1e6), maxPixels));
    }
  }

  private static ImageReader readerFor(String path, ImageFormat format) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName);
    if (!readers.hasNext()) {
      throw new ImageDecodeException(path, "no ImageIO reader for " + format + " in this JVM");
    }
    return readers.next();
  }

  private static IIOReadWarningListener collectInto(List<String> warnings) {
    return (source, warning) -> warnings.add(warning);
  }
}
