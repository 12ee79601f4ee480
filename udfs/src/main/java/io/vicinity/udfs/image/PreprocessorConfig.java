package io.vicinity.udfs.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;

/**
 * A Hugging Face {@code preprocessor_config.json}, reduced to what our preprocessing needs. Missing
 * keys take the defaults of the processor family's class (ViTImageProcessor unless the config names
 * ConvNextImageProcessor / ConvNextFeatureExtractor or SegformerImageProcessor). A value we cannot honour is an
 * IllegalArgumentException naming the key and the value; unknown keys are ignored, as HF does.
 */
public record PreprocessorConfig(
    Family family,
    boolean doResize,
    ResizeSpec size,
    ResampleFilter resample,
    boolean doCenterCrop,
    ResizeSpec.Exact cropSize,
    double cropPct,
    boolean doRescale,
    double rescaleFactor,
    boolean doNormalize,
    double[] imageMean,
    double[] imageStd,
    Boolean doConvertRgb) {

  /** Processor classes whose resize semantics differ. */
  public enum Family {
    /** ViTImageProcessor: resize to {@code size}, no crop unless asked. */
    VIT,
    /** ConvNextImageProcessor: below 384, resize shortest edge to size/crop_pct, then crop. */
    CONVNEXT,
    /**
     * SegformerImageProcessor (what UperNet checkpoints ship): ViT's resize with other defaults, 512x512
     * and ImageNet's mean/std. Its do_reduce_labels only concerns training labels.
     */
    SEGFORMER
  }

  /** IMAGENET_STANDARD_MEAN / _STD, the defaults of both families. */
  public static final double[] IMAGENET_STANDARD_MEAN = {0.5, 0.5, 0.5};
  public static final double[] IMAGENET_STANDARD_STD = {0.5, 0.5, 0.5};
  /** IMAGENET_DEFAULT_MEAN / _STD, SegformerImageProcessor's defaults. */
  public static final double[] IMAGENET_DEFAULT_MEAN = {0.485, 0.456, 0.406};
  public static final double[] IMAGENET_DEFAULT_STD = {0.229, 0.224, 0.225};
  public static final double DEFAULT_RESCALE_FACTOR = 1 / 255.0;
  public static final double DEFAULT_CROP_PCT = 224 / 256.0;

  private static final ObjectMapper JSON = new ObjectMapper();

  public PreprocessorConfig {
    imageMean = imageMean.clone();
    imageStd = imageStd.clone();
    if (imageMean.length != 3 || imageStd.length != 3) {
      throw new IllegalArgumentException("image_mean and image_std need 3 values, got "
          + Arrays.toString(imageMean) + " and " + Arrays.toString(imageStd));
    }
    if (doCenterCrop && cropSize == null) {
      throw new IllegalArgumentException("crop_size is required when do_center_crop is true");
    }
  }

  /** ViTImageProcessor's defaults. */
  public static PreprocessorConfig defaults() {
    return fromJson(JSON.createObjectNode());
  }

  public static PreprocessorConfig fromFile(Path file) {
    try {
      return fromJson(JSON.readTree(file.toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read preprocessor config " + file, e);
    }
  }

  public static PreprocessorConfig fromJson(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("preprocessor config must be a JSON object, got " + json);
    }
    Family family = family(json);
    boolean convNext = family == Family.CONVNEXT;
    boolean segformer = family == Family.SEGFORMER;
    ResizeSpec size = segformer && isAbsent(json.get("size"))
        ? new ResizeSpec.Exact(512, 512)
        : size(json.get("size"), convNext);
    if (convNext && !(size instanceof ResizeSpec.ShortestEdge)) {
      throw unsupported("size", json.get("size"), "ConvNextImageProcessor needs {\"shortest_edge\": n}");
    }
    JsonNode resample = json.get("resample");
    ResampleFilter filter = isAbsent(resample)
        ? (convNext ? ResampleFilter.BICUBIC : ResampleFilter.BILINEAR)
        : resampleFilter(resample);
    JsonNode crop = json.get("crop_size");
    return new PreprocessorConfig(
        family,
        bool(json, "do_resize", true),
        size,
        filter,
        bool(json, "do_center_crop", false),
        isAbsent(crop) ? null : exactSize("crop_size", crop),
        positive(json, "crop_pct", DEFAULT_CROP_PCT),
        bool(json, "do_rescale", true),
        positive(json, "rescale_factor", DEFAULT_RESCALE_FACTOR),
        bool(json, "do_normalize", true),
        perChannel(json, "image_mean", segformer ? IMAGENET_DEFAULT_MEAN : IMAGENET_STANDARD_MEAN),
        perChannel(json, "image_std", segformer ? IMAGENET_DEFAULT_STD : IMAGENET_STANDARD_STD),
        isAbsent(json.get("do_convert_rgb")) ? null : bool(json, "do_convert_rgb", false));
  }

  private static Family family(JsonNode json) {
    for (String key : new String[] {"image_processor_type", "feature_extractor_type"}) {
      JsonNode type = json.get(key);
      if (isAbsent(type)) {
        continue;
      }
      String name = type.asText();
      if (name.startsWith("ConvNext")) {
        return Family.CONVNEXT;
      }
      if (name.startsWith("ViT")) {
        return Family.VIT;
      }
      if (name.startsWith("Segformer")) {
        return Family.SEGFORMER;
      }
      throw unsupported(key, type, "supported: ViTImageProcessor, ConvNextImageProcessor, SegformerImageProcessor"
          + " (and their Fast/Pil/FeatureExtractor variants)");
    }
    return Family.VIT;
  }

  /** HF's get_size_dict: an int is square for ViT and a shortest edge for ConvNext. */
  private static ResizeSpec size(JsonNode node, boolean convNext) {
    if (isAbsent(node)) {
      return convNext ? new ResizeSpec.ShortestEdge(384) : new ResizeSpec.Exact(224, 224);
    }
    if (node.isInt()) {
      int s = positiveInt("size", node);
      return convNext ? new ResizeSpec.ShortestEdge(s) : new ResizeSpec.Exact(s, s);
    }
    if (node.isArray() && node.size() == 2) {
      return exactSize("size", node);
    }
    if (node.isObject()) {
      if (node.has("height") || node.has("width")) {
        return exactSize("size", node);
      }
      if (node.has("shortest_edge") && onlyKeys(node, "shortest_edge", "longest_edge")) {
        int shortest = positiveInt("size", node.get("shortest_edge"));
        JsonNode longest = node.get("longest_edge");
        return isAbsent(longest)
            ? new ResizeSpec.ShortestEdge(shortest)
            : new ResizeSpec.ShortestAndLongestEdge(shortest, positiveInt("size", longest));
      }
    }
    throw unsupported("size", node,
        "expected an int, {height, width}, {shortest_edge} or {shortest_edge, longest_edge}");
  }

  private static ResizeSpec.Exact exactSize(String key, JsonNode node) {
    if (node.isInt()) {
      int s = positiveInt(key, node);
      return new ResizeSpec.Exact(s, s);
    }
    if (node.isArray() && node.size() == 2) {
      return new ResizeSpec.Exact(positiveInt(key, node.get(0)), positiveInt(key, node.get(1)));
    }
    if (node.isObject() && node.has("height") && node.has("width") && onlyKeys(node, "height", "width")) {
      return new ResizeSpec.Exact(positiveInt(key, node.get("height")), positiveInt(key, node.get("width")));
    }
    throw unsupported(key, node, "expected an int or {\"height\": h, \"width\": w}");
  }

  private static boolean onlyKeys(JsonNode node, String... allowed) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!Arrays.asList(allowed).contains(name) && !isAbsent(node.get(name))) {
        return false;
      }
    }
    return true;
  }

  private static ResampleFilter resampleFilter(JsonNode node) {
    if (!node.isInt()) {
      throw unsupported("resample", node, "expected a Pillow resampling code 0..5");
    }
    try {
      return ResampleFilter.fromPillowCode(node.asInt());
    } catch (IllegalArgumentException e) {
      throw unsupported("resample", node, e.getMessage());
    }
  }

  private static boolean bool(JsonNode json, String key, boolean defaultValue) {
    JsonNode node = json.get(key);
    if (isAbsent(node)) {
      return defaultValue;
    }
    if (!node.isBoolean()) {
      throw unsupported(key, node, "expected true or false");
    }
    return node.asBoolean();
  }

  private static double positive(JsonNode json, String key, double defaultValue) {
    JsonNode node = json.get(key);
    if (isAbsent(node)) {
      return defaultValue;
    }
    if (!node.isNumber() || !(node.asDouble() > 0)) {
      throw unsupported(key, node, "expected a positive number");
    }
    return node.asDouble();
  }

  private static int positiveInt(String key, JsonNode node) {
    if (node == null || !node.isInt() || node.asInt() <= 0) {
      throw unsupported(key, node, "expected a positive integer");
    }
    return node.asInt();
  }

  /** A number (same for every channel) or a list of 3 numbers. */
  private static double[] perChannel(JsonNode json, String key, double[] defaultValue) {
    JsonNode node = json.get(key);
    if (isAbsent(node)) {
      return defaultValue.clone();
    }
    if (node.isNumber()) {
      return new double[] {node.asDouble(), node.asDouble(), node.asDouble()};
    }
    if (node.isArray() && node.size() == 3) {
      double[] values = new double[3];
      for (int c = 0; c < 3; c++) {
        if (!node.get(c).isNumber()) {
          throw unsupported(key, node, "expected 3 numbers");
        }
        values[c] = node.get(c).asDouble();
      }
      return values;
    }
    throw unsupported(key, node, "expected a number or a list of 3 numbers");
  }

  private static boolean isAbsent(JsonNode node) {
    return node == null || node.isNull() || node.isMissingNode();
  }

  private static IllegalArgumentException unsupported(String key, JsonNode value, String why) {
    return new IllegalArgumentException(
        "preprocessor_config.json: unsupported value for '" + key + "': " + value + " (" + why + ")");
  }

  @Override
  public double[] imageMean() {
    return imageMean.clone();
  }

  @Override
  public double[] imageStd() {
    return imageStd.clone();
  }
}
