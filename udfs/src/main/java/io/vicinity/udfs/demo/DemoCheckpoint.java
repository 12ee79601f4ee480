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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny DinatForImageClassification checkpoint in Hugging Face layout, with RANDOM weights from a fixed
 * seed: the same bytes on every machine. It exists so the job, the demo and the tests can run without
 * downloading a model. Its labels are made up and its predictions are meaningless.
 *
 * <p>Run {@code main DIR} to write one under DIR if it is not there yet. {@link Spec#dinat} describes other
 * shapes with the same random init (e.g. DiNAT-mini's, for benchmarks that need a realistic amount of compute).
 */
public final class DemoCheckpoint {
  /** Marker in config.json so the job can warn that the predictions are noise. */
  public static final String RANDOM_WEIGHTS_MARKER = "vicinity_demo_random_weights";

  public static final String WARNING =
      "The demo model has RANDOM weights: its labels are made up and its predictions are meaningless.";

  static final long SEED = 20240611L;

  /**
   * The shape of a random-weight DiNAT classifier. {@code dilations[level][layer]}; {@code imageSize} is the
   * square input the preprocessor resizes to.
   */
  public record Spec(int imageSize, int embedDim, int[] depths, int[] numHeads, int[][] dilations, int kernelSize,
      double mlpRatio, List<String> labels) {
    /** The demo model: what {@link #write(Path)} writes (tests, the demo run and run-local.sh rely on it). */
    public static final Spec DEMO = new Spec(64, 32, new int[] {2, 2}, new int[] {2, 4}, new int[][] {{1, 2}, {1, 1}},
        7, 2.0, List.of("demo-alpha", "demo-bravo", "demo-charlie", "demo-delta", "demo-echo",
            "demo-foxtrot", "demo-golf", "demo-hotel", "demo-india", "demo-juliett"));

    /**
     * A DiNAT with kernel 7, MLP ratio 3 and 1000 classes, like the published ImageNet checkpoints, at a square
     * {@code imageSize}. Dilations follow DiNAT's rule: layers alternate 1 and the largest dilation the level's
     * feature map allows (its side over the kernel), which gives shi-labs/dinat-mini-in1k-224's dilations for
     * {@code dinat(224, 64, {3, 4, 6, 5}, {2, 4, 8, 16})}.
     */
    public static Spec dinat(int imageSize, int embedDim, int[] depths, int[] numHeads) {
      if (depths.length != numHeads.length || depths.length == 0) {
        throw new IllegalArgumentException("depths and heads need one entry per level: "
            + Arrays.toString(depths) + " vs " + Arrays.toString(numHeads));
      }
      int kernel = 7;
      int[][] dilations = new int[depths.length][];
      for (int level = 0; level < depths.length; level++) {
        int side = imageSize / 4 >> level; // patch embedding /4, then /2 per downsample
        int wide = Math.max(1, side / kernel);
        dilations[level] = new int[depths[level]];
        for (int layer = 0; layer < depths[level]; layer++) {
          dilations[level][layer] = layer % 2 == 0 ? 1 : wide;
        }
      }
      List<String> labels = new ArrayList<>(1000);
      for (int i = 0; i < 1000; i++) {
        labels.add(String.format("random-%04d", i));
      }
      return new Spec(imageSize, embedDim, depths.clone(), numHeads.clone(), dilations, kernel, 3.0,
          List.copyOf(labels));
    }
  }

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
    write(dir, Spec.DEMO);
  }

  /** As {@link #write(Path)}, for a model of shape {@code spec} (random weights from the same seed). */
  public static void write(Path dir, Spec spec) {
    try {
      Files.createDirectories(dir);
      writeAtomically(dir.resolve("config.json"), tmp -> JSON.writeValue(tmp.toFile(), config(spec)));
      writeAtomically(dir.resolve("preprocessor_config.json"),
          tmp -> JSON.writeValue(tmp.toFile(), preprocessorConfig(spec)));
      writeAtomically(dir.resolve("model.safetensors"),
          tmp -> SafetensorsWriter.write(tmp, weights(spec), Map.of("format", "pt")));
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

  static Map<String, Object> config(Spec spec) {
    Map<String, Object> id2label = new LinkedHashMap<>();
    Map<String, Object> label2id = new LinkedHashMap<>();
    for (int i = 0; i < spec.labels().size(); i++) {
      id2label.put(Integer.toString(i), spec.labels().get(i));
      label2id.put(spec.labels().get(i), i);
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("_comment", WARNING);
    config.put(RANDOM_WEIGHTS_MARKER, true);
    config.put("architectures", List.of("DinatForImageClassification"));
    config.put("model_type", "dinat");
    config.put("image_size", spec.imageSize());
    config.put("patch_size", 4);
    config.put("num_channels", 3);
    config.put("embed_dim", spec.embedDim());
    config.put("depths", spec.depths());
    config.put("num_heads", spec.numHeads());
    config.put("kernel_size", spec.kernelSize());
    config.put("dilations", spec.dilations());
    config.put("mlp_ratio", spec.mlpRatio());
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

  static Map<String, Object> preprocessorConfig(Spec spec) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("image_processor_type", "ViTImageProcessor");
    config.put("do_resize", true);
    Map<String, Object> size = new LinkedHashMap<>(); // not Map.of: its order changes between JVM runs
    size.put("height", spec.imageSize());
    size.put("width", spec.imageSize());
    config.put("size", size);
    config.put("resample", BICUBIC);
    config.put("do_rescale", true);
    config.put("rescale_factor", 1.0 / 255.0);
    config.put("do_normalize", true);
    config.put("image_mean", IMAGENET_MEAN);
    config.put("image_std", IMAGENET_STD);
    return config;
  }

  /** Every tensor DinatForImageClassification loads, in a fixed order so the random draws are fixed. */
  static Map<String, HostTensor> weights(Spec spec) {
    Weights w = new Weights(new SplittableRandom(SEED));
    String embeddings = "dinat.embeddings.";
    int embed = spec.embedDim();
    w.conv(embeddings + "patch_embeddings.projection.0", embed / 2, 3, true);
    w.conv(embeddings + "patch_embeddings.projection.1", embed, embed / 2, true);
    w.layerNorm(embeddings + "norm", embed);

    int[] depths = spec.depths();
    int kernel = spec.kernelSize();
    int dim = embed;
    for (int level = 0; level < depths.length; level++) {
      for (int layer = 0; layer < depths[level]; layer++) {
        String p = "dinat.encoder.levels." + level + ".layers." + layer + ".";
        int hidden = (int) (spec.mlpRatio() * dim);
        w.layerNorm(p + "layernorm_before", dim);
        w.linear(p + "attention.self.query", dim, dim);
        w.linear(p + "attention.self.key", dim, dim);
        w.linear(p + "attention.self.value", dim, dim);
        w.uniform(p + "attention.self.rpb", 0.1f, spec.numHeads()[level], 2 * kernel - 1, 2 * kernel - 1);
        w.linear(p + "attention.output.dense", dim, dim);
        w.layerNorm(p + "layernorm_after", dim);
        w.linear(p + "intermediate.dense", hidden, dim);
        w.linear(p + "output.dense", dim, hidden);
      }
      if (level < depths.length - 1) {
        String p = "dinat.encoder.levels." + level + ".downsample.";
        w.conv(p + "reduction", 2 * dim, dim, false);
        w.layerNorm(p + "norm", 2 * dim);
        dim *= 2;
      }
    }
    w.layerNorm("dinat.layernorm", dim);
    w.linear("classifier", spec.labels().size(), dim);
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
