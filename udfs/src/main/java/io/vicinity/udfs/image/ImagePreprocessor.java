package io.vicinity.udfs.image;

import io.vicinity.kernels.ByteResample;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hugging Face's slow (PIL/numpy) image-processor pipeline for one image: resize (Pillow, via
 * {@link PillowResize}) -> center crop -> rescale -> normalize, giving float32 HWC values equal to
 * HF's {@code pixel_values} (which HF returns as CHW).
 *
 * <p>Float arithmetic follows numpy's: rescale multiplies in double and rounds to float32
 * ({@code image.astype(float64) * scale}, then {@code astype(float32)}); normalize is float32
 * {@code (x - mean) / std} with mean and std rounded to float32.
 */
public final class ImagePreprocessor {

  /** Size of an image, height first as in HF. */
  public record Size(int height, int width) {}

  /** ConvNextImageProcessor warps instead of cropping at or above this shortest edge. */
  private static final int CONVNEXT_WARP_EDGE = 384;

  /** Source sizes whose plans are kept: photos from one camera share a size, as a video's frames do. */
  private static final int MAX_CACHED_PLANS = 64;

  private final PreprocessorConfig config;
  /**
   * {@link #resamplePlan}s by source size (height, width): computing Pillow's weights for every image took ~5% of
   * the decoding threads' Java time in a profile of the job on 560 px JPEGs. Cleared when full; plans are never
   * modified, so threads share them.
   */
  private final Map<Long, Optional<Plans>> plans = new ConcurrentHashMap<>();

  /** A source size's resample over the whole image (the host's) and over the window it reads (the device's). */
  private record Plans(ByteResample whole, ByteResample.Windowed windowed) {}
  /** Output value for each (channel, byte value): rescale and normalize are per-value maps. */
  private final float[][] valueTable;

  public ImagePreprocessor(PreprocessorConfig config) {
    this.config = config;
    this.valueTable = buildValueTable(config);
  }

  public PreprocessorConfig config() {
    return config;
  }

  /** The [height, width] of {@link #preprocess}'s output for an input of this size. */
  public Size outputSize(int height, int width) {
    Size size = new Size(height, width);
    if (config.doResize()) {
      size = resizeTarget(size);
      if (convNextCrops()) {
        int edge = ((ResizeSpec.ShortestEdge) config.size()).shortestEdge();
        size = new Size(edge, edge);
      }
    }
    if (config.doCenterCrop()) {
      size = new Size(config.cropSize().height(), config.cropSize().width());
    }
    return size;
  }

  /** Preprocesses one image to float32 values, layout [height, width, 3] (see {@link #outputSize}). */
  public float[] preprocess(RgbImage image) {
    return toFloats(resizeAndCrop(image));
  }

  /**
   * The resized and cropped image's uint8 RGB bytes ([height, width, 3], see {@link #outputSize}) written into
   * {@code out} from position 0: {@link #preprocess}'s values are {@link #channelValues()} of these bytes, so a
   * device can finish the preprocessing from a quarter of the float32 bytes. {@code out} must hold exactly them.
   */
  public void resizeAndCropInto(RgbImage image, ByteBuffer out) {
    byte[] in = resizeAndCrop(image).rgb();
    if (out.capacity() != in.length) {
      throw new IllegalArgumentException("resizeAndCropInto: buffer of " + out.capacity() + " bytes for "
          + in.length + " RGB bytes");
    }
    out.duplicate().clear().put(in);
  }

  /**
   * The rescale and normalize steps as one map per channel: the value of byte v in channel c is
   * {@code channelValues()[c * 256 + v]} (a copy; 768 values).
   */
  public float[] channelValues() {
    float[] values = new float[3 * 256];
    for (int c = 0; c < 3; c++) {
      System.arraycopy(valueTable[c], 0, values, c * 256, 256);
    }
    return values;
  }

  private RgbImage resizeAndCrop(RgbImage image) {
    ByteResample plan = resamplePlan(image.height(), image.width());
    if (plan != null) {
      return new RgbImage(plan.width(), plan.height(), plan.apply(image.rgb(), 0));
    }
    // ConvNeXt's crop, then the center crop: two crops, each padding with zeros, are not one region.
    Size target = resizeTarget(new Size(image.height(), image.width()));
    int edge = ((ResizeSpec.ShortestEdge) config.size()).shortestEdge();
    RgbImage resized = PillowResize.resizeRegion(image, target.width(), target.height(), config.resample(),
        Math.floorDiv(target.width() - edge, 2), Math.floorDiv(target.height() - edge, 2), edge, edge);
    return centerCrop(resized, config.cropSize().height(), config.cropSize().width());
  }

  /**
   * The resize and the crop that follows it for an image of {@code height} x {@code width}, as one
   * {@link ByteResample} (only the pixels the crop keeps are resampled), which a backend can also run on its
   * device; null in the one case that is not a single region (ConvNeXt's crop followed by a center crop).
   */
  public ByteResample resamplePlan(int height, int width) {
    return cachedPlans(height, width).map(Plans::whole).orElse(null);
  }

  /**
   * {@link #resamplePlan} over the smallest window of the image it reads: the window's pixels and this plan give
   * the same output; null when {@link #resamplePlan} is.
   */
  public ByteResample.Windowed windowedPlan(int height, int width) {
    return cachedPlans(height, width).map(Plans::windowed).orElse(null);
  }

  private Optional<Plans> cachedPlans(int height, int width) {
    long size = ((long) height << 32) | (width & 0xFFFFFFFFL);
    Optional<Plans> cached = plans.get(size);
    if (cached == null) {
      if (plans.size() >= MAX_CACHED_PLANS) {
        plans.clear();
      }
      cached = Optional.ofNullable(newResamplePlan(height, width)).map(p -> new Plans(p, p.windowed()));
      plans.put(size, cached);
    }
    return cached;
  }

  private ByteResample newResamplePlan(int height, int width) {
    if (!config.doResize()) {
      Size crop = config.doCenterCrop() ? new Size(config.cropSize().height(), config.cropSize().width())
          : new Size(height, width);
      return ByteResample.crop(height, width, Math.floorDiv(height - crop.height(), 2),
          Math.floorDiv(width - crop.width(), 2), crop.height(), crop.width());
    }
    if (convNextCrops() && config.doCenterCrop()) {
      return null;
    }
    Size target = resizeTarget(new Size(height, width));
    Size crop = target;
    if (convNextCrops()) {
      int edge = ((ResizeSpec.ShortestEdge) config.size()).shortestEdge();
      crop = new Size(edge, edge);
    } else if (config.doCenterCrop()) {
      crop = new Size(config.cropSize().height(), config.cropSize().width());
    }
    return PillowResize.plan(height, width, target.height(), target.width(), config.resample(),
        Math.floorDiv(target.height() - crop.height(), 2), Math.floorDiv(target.width() - crop.width(), 2),
        crop.height(), crop.width());
  }

  /**
   * {@link #resamplePlan} for a backend that resizes on its device, over the window of the image it reads (only
   * that is held and copied up), or null when the host should resize: the preprocessing is not one resample, or
   * the window has more than {@code maxRatio} times the preprocessed image's pixels (its bytes would cost more to
   * hold and copy up than the host's resize saves).
   */
  public ByteResample.Windowed deviceResamplePlan(int height, int width, int maxRatio) {
    Size size = outputSize(height, width);
    ByteResample.Windowed windowed = windowedPlan(height, width);
    if (windowed == null) {
      return null;
    }
    ByteResample.Window window = windowed.window();
    return (long) window.height() * window.width() > (long) maxRatio * size.height() * size.width() ? null : windowed;
  }

  private boolean convNextCrops() {
    return config.family() == PreprocessorConfig.Family.CONVNEXT
        && ((ResizeSpec.ShortestEdge) config.size()).shortestEdge() < CONVNEXT_WARP_EDGE;
  }

  /** The size the resize step produces (before any crop). */
  Size resizeTarget(Size input) {
    ResizeSpec spec = config.size();
    if (config.family() == PreprocessorConfig.Family.CONVNEXT) {
      int edge = ((ResizeSpec.ShortestEdge) spec).shortestEdge();
      if (edge >= CONVNEXT_WARP_EDGE) {
        return new Size(edge, edge);
      }
      // int(shortest_edge / crop_pct), a double division truncated, as in Python
      return shortestEdgeSize(input, (int) (edge / config.cropPct()));
    }
    if (spec instanceof ResizeSpec.Exact exact) {
      return new Size(exact.height(), exact.width());
    }
    if (spec instanceof ResizeSpec.ShortestEdge shortest) {
      return shortestEdgeSize(input, shortest.shortestEdge());
    }
    ResizeSpec.ShortestAndLongestEdge bounded = (ResizeSpec.ShortestAndLongestEdge) spec;
    return sizeWithAspectRatio(input, bounded.shortestEdge(), bounded.longestEdge());
  }

  /** transformers' get_resize_output_image_size(size=int, default_to_square=False, max_size=None). */
  static Size shortestEdgeSize(Size input, int requestedShort) {
    boolean portrait = input.width() <= input.height();
    int shortSide = portrait ? input.width() : input.height();
    int longSide = portrait ? input.height() : input.width();
    int newLong = (int) ((double) ((long) requestedShort * longSide) / shortSide);
    return portrait ? new Size(newLong, requestedShort) : new Size(requestedShort, newLong);
  }

  /** transformers' get_size_with_aspect_ratio(image_size, size, max_size). */
  static Size sizeWithAspectRatio(Size input, int size, int maxSize) {
    int height = input.height();
    int width = input.width();
    Double rawSize = null;
    double minOriginal = Math.min(height, width);
    double maxOriginal = Math.max(height, width);
    if (maxOriginal / minOriginal * size > maxSize) {
      rawSize = maxSize * minOriginal / maxOriginal;
      size = (int) Math.rint(rawSize); // Python's round() rounds half to even
    }
    if ((height <= width && height == size) || (width <= height && width == size)) {
      return new Size(height, width);
    }
    if (width < height) {
      int newHeight = rawSize != null
          ? (int) (rawSize * height / width)
          : (int) ((double) ((long) size * height) / width);
      return new Size(newHeight, size);
    }
    int newWidth = rawSize != null
        ? (int) (rawSize * width / height)
        : (int) ((double) ((long) size * width) / height);
    return new Size(size, newWidth);
  }

  /**
   * transformers' center_crop: top-left at floor((in - crop) / 2); where the crop reaches outside
   * the image (crop larger than image) the pixels are 0, as HF zero-pads before cropping.
   */
  static RgbImage centerCrop(RgbImage image, int cropHeight, int cropWidth) {
    if (cropHeight == image.height() && cropWidth == image.width()) {
      return image;
    }
    ByteResample crop = ByteResample.crop(image.height(), image.width(), Math.floorDiv(image.height() - cropHeight, 2),
        Math.floorDiv(image.width() - cropWidth, 2), cropHeight, cropWidth);
    return new RgbImage(cropWidth, cropHeight, crop.apply(image.rgb(), 0));
  }

  private float[] toFloats(RgbImage image) {
    byte[] in = image.rgb();
    float[] out = new float[in.length];
    for (int i = 0; i < in.length; i++) {
      out[i] = valueTable[i % 3][in[i] & 0xFF];
    }
    return out;
  }

  private static float[][] buildValueTable(PreprocessorConfig config) {
    double[] mean = config.imageMean();
    double[] std = config.imageStd();
    float[][] table = new float[3][256];
    for (int c = 0; c < 3; c++) {
      float mean32 = (float) mean[c];
      float std32 = (float) std[c];
      for (int v = 0; v < 256; v++) {
        float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : v;
        table[c][v] = config.doNormalize() ? (x - mean32) / std32 : x;
      }
    }
    return table;
  }
}
