package io.vicinity.udfs.video;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vicinity.udfs.image.ImagePreprocessor;
import io.vicinity.udfs.image.PreprocessorConfig;
import io.vicinity.udfs.image.RgbImage;

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

  /** uint8 RGB frames [frames, height, width, 3] -> float32 [frames, h', w', 3]. */
  public float[] preprocess(byte[] rgb, int frameCount, int height, int width) {
    int frameBytes = height * width * 3;
    if (frameCount < 1 || rgb.length != (long) frameCount * frameBytes) {
      throw new IllegalArgumentException("clip of " + frameCount + " frames of " + width + "x" + height
          + " RGB needs " + (long) frameCount * frameBytes + " bytes, got " + rgb.length);
    }
    ImagePreprocessor.Size size = outputSize(height, width);
    int outFrame = size.height() * size.width() * 3;
    float[] out = new float[Math.multiplyExact(frameCount, outFrame)];
    for (int f = 0; f < frameCount; f++) {
      byte[] frame = java.util.Arrays.copyOfRange(rgb, f * frameBytes, (f + 1) * frameBytes);
      System.arraycopy(frames.preprocess(new RgbImage(width, height, frame)), 0, out, f * outFrame, outFrame);
    }
    return out;
  }
}
