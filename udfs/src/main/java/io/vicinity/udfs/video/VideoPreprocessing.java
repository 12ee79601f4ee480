package io.vicinity.udfs.video;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.image.ImagePreprocessor;
import io.vicinity.udfs.image.PreprocessorConfig;
import io.vicinity.udfs.image.RgbImage;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Per-frame preprocessing of video clips, reusing the image pipeline ({@link ImagePreprocessor}: Pillow
 * resize, center crop, rescale, normalize). VideoMAE's processor applies exactly that pipeline to every frame;
 * it only has other defaults (shortest edge 224, center crop 224 x 224), which are filled in here before the
 * config is read as a ViTImageProcessor's.
 */
public final class VideoPreprocessing {
  private final ImagePreprocessor frames;

  public VideoPreprocessing(PreprocessorConfig config) {
    this.frames = new ImagePreprocessor(config);
  }

  /** Reads a preprocessor_config.json of VideoMAEImageProcessor (or of an image processor) for frames. */
  public static VideoPreprocessing fromJson(JsonNode json) {
    return new VideoPreprocessing(PreprocessorConfig.fromJson(asImageProcessorConfig(json)));
  }

  /** VideoMAE processor types become ViTImageProcessor with VideoMAEImageProcessor's defaults. */
  static JsonNode asImageProcessorConfig(JsonNode json) {
    if (json == null || !json.isObject() || !isVideoMae(json)) {
      return json;
    }
    ObjectNode copy = ((ObjectNode) json).deepCopy();
    copy.remove("feature_extractor_type");
    copy.put("image_processor_type", "ViTImageProcessor");
    if (!copy.hasNonNull("size")) {
      copy.putObject("size").put("shortest_edge", 224);
    }
    if (!copy.hasNonNull("do_center_crop")) {
      copy.put("do_center_crop", true);
    }
    if (!copy.hasNonNull("crop_size")) {
      copy.putObject("crop_size").put("height", 224).put("width", 224);
    }
    return copy;
  }

  private static boolean isVideoMae(JsonNode json) {
    for (String key : new String[] {"image_processor_type", "feature_extractor_type", "video_processor_type"}) {
      JsonNode type = json.get(key);
      if (type != null && type.isTextual() && type.textValue().startsWith("VideoMAE")) {
        return true;
      }
    }
    return false;
  }

  /** The [height, width] of each preprocessed frame for frames of this size. */
  public ImagePreprocessor.Size outputSize(int height, int width) {
    return frames.outputSize(height, width);
  }

  /** A clip's uint8 RGB frames -> float32 [frames, h', w', 3]: {@link #channelValues} of the resized bytes. */
  public float[] preprocess(VideoClip clip) {
    ImagePreprocessor.Size size = outputSize(clip.height(), clip.width());
    ByteBuffer resized = ByteBuffer.allocate(Math.multiplyExact(clip.frames(), size.height() * size.width() * 3));
    resizeAndCropInto(clip, resized);
    float[] values = channelValues();
    float[] out = new float[resized.capacity()];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[(i % 3) * 256 + (resized.get(i) & 0xFF)];
    }
    return out;
  }

  /**
   * The part of each {@code height} x {@code width} frame the resize and crop read, when that is less than the
   * whole frame: a decoder need convert and keep only this window ({@link VideoClip#window}); else null.
   */
  public ByteResample.Window framesWindow(int height, int width) {
    ByteResample.Windowed plan = frames.windowedPlan(height, width);
    if (plan == null) {
      return null;
    }
    ByteResample.Window w = plan.window();
    return w.height() == height && w.width() == width ? null : w;
  }

  /**
   * The clip's frames resized and cropped, as uint8 RGB [frames, h', w', 3], written into {@code out} from
   * position 0: {@link #preprocess}'s values are {@link #channelValues()} of these bytes (a device finishes the
   * preprocessing from a quarter of the float32 bytes). {@code out} must hold exactly the clip's bytes.
   */
  public void resizeAndCropInto(VideoClip clip, ByteBuffer out) {
    List<byte[]> rgb = rgbFrames(clip);
    int frameCount = clip.frames();
    ImagePreprocessor.Size size = outputSize(clip.height(), clip.width());
    int outFrame = size.height() * size.width() * 3;
    if (out.capacity() != (long) frameCount * outFrame) {
      throw new IllegalArgumentException("clip of " + frameCount + " frames of " + size.width() + "x"
          + size.height() + " x 3 bytes needs " + (long) frameCount * outFrame + " bytes, got " + out.capacity());
    }
    // All frames share a size: one plan (Pillow's weights) for the clip, applied to each frame.
    ByteResample plan = clip.window() == null ? frames.resamplePlan(clip.height(), clip.width())
        : windowPlan(clip).resample();
    for (int f = 0; f < frameCount; f++) {
      ByteBuffer slot = out.duplicate().clear().position(f * outFrame).limit((f + 1) * outFrame).slice();
      if (plan != null) {
        slot.put(plan.apply(rgb.get(f), 0));
      } else {
        frames.resizeAndCropInto(new RgbImage(clip.width(), clip.height(), rgb.get(f)), slot);
      }
    }
  }

  /**
   * The resample over the window a clip's frames hold, which must be the one this preprocessing reads
   * ({@link #framesWindow}).
   */
  public ByteResample.Windowed windowPlan(VideoClip clip) {
    ByteResample.Windowed plan = frames.windowedPlan(clip.height(), clip.width());
    if (plan == null || !plan.window().equals(clip.window())) {
      throw new IllegalArgumentException(clip.id() + ": its frames hold " + clip.window() + " of " + clip.width()
          + "x" + clip.height() + ", but the preprocessing reads " + (plan == null ? "the whole frame"
          : plan.window()));
    }
    return plan;
  }

  /**
   * Each frame's resize and crop for frames of {@code height} x {@code width}, as a plan the backend runs on its
   * device ({@code Backend.fromHostBytes} with a {@link ByteResample}); null when the host should resize them
   * (see {@link ImagePreprocessor#deviceResamplePlan}).
   */
  public ByteResample.Windowed deviceResamplePlan(int height, int width, int maxRatio) {
    return frames.deviceResamplePlan(height, width, maxRatio);
  }

  /** The value of byte v in channel c is {@code channelValues()[c * 256 + v]} (rescale and normalize). */
  public float[] channelValues() {
    return frames.channelValues();
  }

  private static List<byte[]> rgbFrames(VideoClip clip) {
    if (clip.rgbFrames() == null) {
      throw new IllegalArgumentException(clip.id() + ": model-ready pixels need no preprocessing");
    }
    return clip.rgbFrames();
  }
}
