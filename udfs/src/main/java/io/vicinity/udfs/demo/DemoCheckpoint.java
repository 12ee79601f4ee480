package io.vicinity.udfs.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vicinity.udfs.checkpoint.HostTensor;
import io.vicinity.udfs.checkpoint.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny DinatForImageClassification checkpoint in Hugging Face layout, with RANDOM weights from a fixed
 * seed: the same bytes on every machine. It exists so the job, the demo and the tests can run without
 * downloading a model. Its labels are made up and its predictions are meaningless.
 *
 * <p>Run {@code main DIR} to write one under DIR if it is not there yet.
 */
public final class DemoCheckpoint {
  /** Marker in config.json so the job can warn that the predictions are noise. */
  public static final String RANDOM_WEIGHTS_MARKER = "vicinity_demo_random_weights";

  public static final String WARNING =
      "The demo model has RANDOM weights: its labels are made up and its predictions are meaningless.";

  static final long SEED = 20240611L;
  static final int IMAGE_SIZE = 64;
  static final int EMBED_DIM = 32;
  static final int[] DEPTHS = {2, 2};
  static final int[] NUM_HEADS = {2, 4};
  static final int[][] DILATIONS = {{1, 2}, {1, 1}};
  static final int KERNEL_SIZE = 7;
  static final double MLP_RATIO = 2.0;
  static final List<String> LABELS = List.of(
      "demo-alpha", "demo-bravo", "demo-charlie", "demo-delta", "demo-echo",
      "demo-foxtrot", "demo-golf", "demo-hotel", "demo-india", "demo-juliett");

  // Pillow's resample code for bicubic, and ImageNet normalisation, as in the published DiNAT processors.
  private static final int BICUBIC = 3;
  private static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
  private static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private DemoCheckpoint() {}

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("Usage: DemoCheckpoint DIR   (writes a random-weight demo DiNAT model to DIR)");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    if (writeIfAbsent(dir)) {
      System.out.println("Wrote demo model to " + dir + ". " + WARNING);
    } else {
      System.out.println("Using demo model in " + dir + ". " + WARNING);
    }
  }

  /** Writes the checkpoint unless {@code dir} already holds one; true if it wrote. */
  public static boolean writeIfAbsent(Path dir) {
    if (Files.isRegularFile(dir.resolve("config.json"))
        && Files.isRegularFile(dir.resolve("model.safetensors"))
        && Files.isRegularFile(dir.resolve("preprocessor_config.json"))) {
      return false;
    }
    write(dir);
    return true;
  }

  /**
   * Writes config.json, model.safetensors and preprocessor_config.json into {@code dir} (created if
   * needed). Files are written next to their final names and then moved, so a reader never sees half
   * a file.
   */
  public static void write(Path dir) {
    try {
      Files.createDirectories(dir);
      writeAtomically(dir.resolve("config.json"), tmp -> JSON.writeValue(tmp.toFile(), config()));
      writeAtomically(dir.resolve("preprocessor_config.json"),
          tmp -> JSON.writeValue(tmp.toFile(), preprocessorConfig()));
      writeAtomically(dir.resolve("model.safetensors"),
          tmp -> SafetensorsWriter.write(tmp, weights(), Map.of("format", "pt")));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo model to " + dir, e);
    }
  }

  /** True when {@code modelDir}'s config.json carries the random-weights marker. */
  public static boolean isDemo(Path modelDir) {
    Path config = modelDir.resolve("config.json");
    if (!Files.isRegularFile(config)) {
      return false;
    }
    try {
      JsonNode marker = JSON.readTree(config.toFile()).get(RANDOM_WEIGHTS_MARKER);
      return marker != null && marker.asBoolean(false);
    } catch (IOException e) {
      return false;
    }
  }

  static Map<String, Object> config() {
    Map<String, Object> id2label = new LinkedHashMap<>();
    Map<String, Object> label2id = new LinkedHashMap<>();
    for (int i = 0; i < LABELS.size(); i++) {
      id2label.put(Integer.toString(i), LABELS.get(i));
      label2id.put(LABELS.get(i), i);
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("_comment", WARNING);
    config.put(RANDOM_WEIGHTS_MARKER, true);
    config.put("architectures", List.of("DinatForImageClassification"));
    config.put("model_type", "dinat");
    config.put("image_size", IMAGE_SIZE);
    config.put("patch_size", 4);
    config.put("num_channels", 3);
    config.put("embed_dim", EMBED_DIM);
    config.put("depths", DEPTHS);
    config.put("num_heads", NUM_HEADS);
    config.put("kernel_size", KERNEL_SIZE);
    config.put("dilations", DILATIONS);
    config.put("mlp_ratio", MLP_RATIO);
    config.put("qkv_bias", true);
    config.put("hidden_dropout_prob", 0.0);
    config.put("attention_probs_dropout_prob", 0.0);
    config.put("drop_path_rate", 0.0);
    config.put("hidden_act", "gelu");
    config.put("initializer_range", 0.02);
    config.put("layer_norm_eps", 1e-5);
    config.put("layer_scale_init_value", 0.0);
    config.put("id2label", id2label);
    config.put("label2id", label2id);
    config.put("torch_dtype", "float32");
    return config;
  }

  static Map<String, Object> preprocessorConfig() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("image_processor_type", "ViTImageProcessor");
    config.put("do_resize", true);
    config.put("size", Map.of("height", IMAGE_SIZE, "width", IMAGE_SIZE));
    config.put("resample", BICUBIC);
    config.put("do_rescale", true);
    config.put("rescale_factor", 1.0 / 255.0);
    config.put("do_normalize", true);
    config.put("image_mean", IMAGENET_MEAN);
    config.put("image_std", IMAGENET_STD);
    return config;
  }

  /** Every tensor DinatForImageClassification loads, in a fixed order so the random draws are fixed. */
  static Map<String, HostTensor> weights() {
    Weights w = new Weights(new SplittableRandom(SEED));
    String embeddings = "dinat.embeddings.";
    w.conv(embeddings + "patch_embeddings.projection.0", EMBED_DIM / 2, 3, true);
    w.conv(embeddings + "patch_embeddings.projection.1", EMBED_DIM, EMBED_DIM / 2, true);
    w.layerNorm(embeddings + "norm", EMBED_DIM);

    int dim = EMBED_DIM;
    for (int level = 0; level < DEPTHS.length; level++) {
      for (int layer = 0; layer < DEPTHS[level]; layer++) {
        String p = "dinat.encoder.levels." + level + ".layers." + layer + ".";
        int hidden = (int) (MLP_RATIO * dim);
        w.layerNorm(p + "layernorm_before", dim);
        w.linear(p + "attention.self.query", dim, dim);
        w.linear(p + "attention.self.key", dim, dim);
        w.linear(p + "attention.self.value", dim, dim);
        w.uniform(p + "attention.self.rpb", 0.1f,
            NUM_HEADS[level], 2 * KERNEL_SIZE - 1, 2 * KERNEL_SIZE - 1);
        w.linear(p + "attention.output.dense", dim, dim);
        w.layerNorm(p + "layernorm_after", dim);
        w.linear(p + "intermediate.dense", hidden, dim);
        w.linear(p + "output.dense", dim, hidden);
      }
      if (level < DEPTHS.length - 1) {
        String p = "dinat.encoder.levels." + level + ".downsample.";
        w.conv(p + "reduction", 2 * dim, dim, false);
        w.layerNorm(p + "norm", 2 * dim);
        dim *= 2;
      }
    }
    w.layerNorm("dinat.layernorm", dim);
    w.linear("classifier", LABELS.size(), dim);
    return w.tensors;
  }

  /** Draws with PyTorch's default init scale (uniform in +-1/sqrt(fan_in)) so activations stay tame. */
  private static final class Weights {
    private final SplittableRandom random;
    private final Map<String, HostTensor> tensors = new LinkedHashMap<>();

    Weights(SplittableRandom random) {
      this.random = random;
    }

    void linear(String name, int out, int in) {
      float bound = (float) (1.0 / Math.sqrt(in));
      uniform(name + ".weight", bound, out, in);
      uniform(name + ".bias", bound, out);
    }

    void conv(String name, int out, int in, boolean bias) {
      float bound = (float) (1.0 / Math.sqrt(in * 9.0));
      uniform(name + ".weight", bound, out, in, 3, 3);
      if (bias) {
        uniform(name + ".bias", bound, out);
      }
    }

    /** Weight near 1 and bias near 0, perturbed so a wrong load of either shows in the output. */
    void layerNorm(String name, int dim) {
      float[] weight = draw(0.1f, dim);
      for (int i = 0; i < dim; i++) {
        weight[i] += 1f;
      }
      tensors.put(name + ".weight", HostTensor.ofFloats(name + ".weight", new int[] {dim}, weight));
      uniform(name + ".bias", 0.1f, dim);
    }

    void uniform(String name, float bound, int... shape) {
      int count = 1;
      for (int s : shape) {
        count *= s;
      }
      tensors.put(name, HostTensor.ofFloats(name, shape, draw(bound, count)));
    }

    private float[] draw(float bound, int count) {
      float[] values = new float[count];
      for (int i = 0; i < count; i++) {
        values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
      }
      return values;
    }
  }

  @FunctionalInterface
  private interface FileWriter {
    void writeTo(Path tmp) throws IOException;
  }

  private static void writeAtomically(Path target, FileWriter writer) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    writer.writeTo(tmp);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
