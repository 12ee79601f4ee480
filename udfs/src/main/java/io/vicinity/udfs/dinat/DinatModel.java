package io.vicinity.udfs.dinat;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.hf.ConfigReader;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.nn.LayerNorm;
import io.vicinity.udfs.nn.Linear;
import io.vicinity.udfs.nn.WeightLoader;
import io.vicinity.udfs.nn.WeightArena;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * DiNAT as Hugging Face defines it ({@code DinatModel}, {@code DinatForImageClassification}): a two-conv
 * stem, stages of neighborhood-attention layers with conv downsamplers between them, a final layer norm,
 * mean pooling, and an optional linear classifier. Weights live on the given backend in an arena owned by
 * this object; {@link #forward} is safe to call from several threads if the backend is.
 */
public final class DinatModel implements AutoCloseable {
  /** Architectures this class loads (config.json "architectures"). */
  public static final Set<String> ARCHITECTURES = Set.of("DinatModel", "DinatForImageClassification");

  private final DinatConfig config;
  private final Backend backend;
  private final Arena weights;
  private final DinatEncoder encoder;
  private final LayerNorm finalNorm;
  private final Linear classifier;
  private final List<String> labels;
  private final DinatGraphs graphs = new DinatGraphs();
  /** Test hook: sees the embedding output ("stage_0") and each stage's output after downsampling. */
  BiConsumer<String, Tensor> probe;

  /** The pooled embedding and, with a classifier, the logits, one row per image. */
  public record Output(float[][] pooled, float[][] logits) {}

  private DinatModel(DinatConfig config, Backend backend, Arena weights, WeightLoader root, String prefix,
      boolean withClassifier, List<String> labels) {
    this.config = config;
    this.backend = backend;
    this.weights = weights;
    WeightLoader w = root.at(prefix);
    encoder = new DinatEncoder(w, config);
    finalNorm = LayerNorm.load(w, "layernorm", config.numFeatures(), config.layerNormEps());
    this.labels = labels;
    this.classifier =
        withClassifier ? Linear.load(root, "classifier", config.numFeatures(), labels.size(), true) : null;
  }

  /**
   * Loads a DiNAT checkpoint onto {@code backend}. Fails with {@link ModelLoadException} naming the
   * directory and the problem (wrong architecture, bad config value, missing tensor, wrong shape).
   */
  public static DinatModel load(HfModelDir dir, Backend backend) {
    var state = dir.weights();
    String arch = dir.architecture();
    if (arch.equals(dir.modelType())) {
      // No "architectures" in config.json (a state dict saved with torch.save): the weights decide.
      arch = state.contains("classifier.weight") ? "DinatForImageClassification" : "DinatModel";
    }
    if (!"dinat".equals(dir.modelType()) || !ARCHITECTURES.contains(arch)) {
      throw new ModelLoadException(dir.dir() + ": unsupported architecture '" + arch + "' (model_type '"
          + dir.modelType() + "'); this loader supports " + ARCHITECTURES);
    }
    DinatConfig config = parseConfig(dir);
    boolean withClassifier = "DinatForImageClassification".equals(arch);
    List<String> labels = withClassifier ? dir.id2label() : List.of();
    if (withClassifier && labels.isEmpty()) {
      throw new ModelLoadException(dir.dir() + ": DinatForImageClassification without id2label in config.json");
    }
    // DinatForImageClassification stores the backbone under "dinat."; a bare DinatModel has no prefix.
    String prefix = state.contains("dinat.embeddings.norm.weight") ? "dinat." : "";
    return WeightArena.build(dir, backend, arch, arena -> {
      WeightLoader root = new WeightLoader(state, backend);
      return new DinatModel(config, backend, arena, root, prefix, withClassifier, labels);
    });
  }

  static DinatConfig parseConfig(HfModelDir dir) {
    return parseConfig(dir.configReader(), dir.dir() + ": config.json");
  }

  /**
   * Reads a DinatConfig from {@code c}, the whole config.json or a nested {@code backbone_config};
   * {@code source} starts every error message (e.g. "<dir>: config.json > backbone_config").
   */
  static DinatConfig parseConfig(ConfigReader c, String source) {
    int patch = c.getInt("patch_size", 4);
    if (patch != 4) {
      throw new ModelLoadException(source + " patch_size " + patch
          + " is not supported (DiNAT's stem has a fixed stride of 4)");
    }
    String act = c.getString("hidden_act", "gelu");
    if (!"gelu".equals(act)) {
      throw new ModelLoadException(source + " hidden_act '" + act + "' is not supported (only gelu)");
    }
    try {
      return new DinatConfig(
          c.getInt("num_channels", 3),
          c.getInt("embed_dim", 64),
          c.getIntArray("depths", new int[] {3, 4, 6, 5}),
          c.getIntArray("num_heads", new int[] {2, 4, 8, 16}),
          c.getInt("kernel_size", 7),
          c.getIntMatrix("dilations", new int[][] {{1, 8, 1}, {1, 4, 1, 4}, {1, 2, 1, 2, 1, 2}, {1, 1, 1, 1, 1}}),
          c.getDouble("mlp_ratio", 3.0),
          c.getBool("qkv_bias", true),
          c.getDouble("layer_norm_eps", 1e-5),
          c.getDouble("layer_scale_init_value", 0.0) > 0);
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(source + ": " + e.getMessage(), e);
    }
  }

  public DinatConfig config() {
    return config;
  }

  public Backend backend() {
    return backend;
  }

  public boolean hasClassifier() {
    return classifier != null;
  }

  /** Class names by index (empty without a classifier). */
  public List<String> labels() {
    return labels;
  }

  /**
   * Runs the network on a batch of preprocessed images, channels-last [batch, height, width, channels],
   * and copies the pooled embeddings (and logits) back to the host.
   */
  public Output forward(float[] pixels, int batch, int height, int width) {
    try (Arena a = backend.openArena("dinat.forward")) {
      return forward(backend.fromHost(pixels, batch, height, width, config.numChannels()));
    }
  }

  /**
   * As {@link #forward(float[], int, int, int)} for uint8 RGB images in direct (off-heap) buffers, in batch
   * order: image i is resampled by {@code resamples.get(i)} to height x width (a copy when it was resized
   * beforehand) and byte v of channel c becomes {@code values[c * 256 + v]} ({@code Backend.fromHostBytes}: on a
   * GPU only the bytes cross PCIe, and the resize runs there).
   */
  public Output forward(List<ByteBuffer> images, List<ByteResample> resamples, float[] values, int height,
      int width) {
    try (Arena a = backend.openArena("dinat.forward")) {
      return forward(backend.fromHostBytes(images, resamples, values, resamples.size(), height, width,
          ByteResample.CHANNELS));
    }
  }

  /**
   * Like {@link #forward(float[], int, int, int)} for pixels already on the backend ([B, H, W, C], e.g. from
   * a fused GPU preprocessing kernel); the caller keeps ownership of {@code pixels}.
   */
  public Output forward(Tensor pixels) {
    int batch = pixels.dim(0);
    try (Arena a = backend.openArena("dinat.forward")) {
      Tensor pooled = backend.meanPool(encode(pixels));
      float[][] pooledRows = rows(backend.toHost(pooled), batch);
      float[][] logits = null;
      if (classifier != null) {
        logits = rows(backend.toHost(classifier.apply(backend, pooled)), batch);
      }
      return new Output(pooledRows, logits);
    }
  }

  /**
   * As {@link #forward(Tensor)}, on the CUDA backend through a CUDA graph of the whole device-side forward,
   * captured on the first call of each (batch, height, width) and replayed after (one copy of the input, one
   * graph launch, the download); each graph holds its own device memory until {@link #closeGraphs} or
   * close(). Same results bit for bit as forward(Tensor). Other backends run {@link #forward(Tensor)}.
   */
  public Output forwardGraphed(Tensor pixels) {
    if (!(backend instanceof io.vicinity.kernels.cuda.CudaBackend gpu)) {
      return forward(pixels);
    }
    int batch = pixels.dim(0);
    float[][] host = graphs.run(gpu, pixels, this::forwardOnDevice);
    return new Output(rows(host[0], batch), classifier == null ? null : rows(host[1], batch));
  }

  /** Frees the CUDA graphs of {@link #forwardGraphed} (their memory returns to the backend's pool). */
  public void closeGraphs() {
    graphs.clear();
  }

  /** The device part of forward(Tensor): {pooled} or {pooled, logits}, owned by the caller; no host sync. */
  private Tensor[] forwardOnDevice(Tensor pixels) {
    try (Arena a = backend.openArena("dinat.graph")) {
      Tensor pooled = backend.meanPool(encode(pixels));
      if (classifier == null) {
        return new Tensor[] {a.detach(pooled)};
      }
      Tensor logits = classifier.apply(backend, pooled);
      return new Tensor[] {a.detach(pooled), a.detach(logits)};
    }
  }

  /** Stem, stages and final norm: [B, H, W, 3] -> [B, H/2^(s+1), W/2^(s+1), C_last]. */
  Tensor encode(Tensor x) {
    x = encoder.embed(backend, x);
    observe("stage_0", x);
    for (int s = 0; s < encoder.stages(); s++) {
      x = encoder.stage(backend, s, x);
      if (encoder.hasDownsampler(s)) {
        x = encoder.downsample(backend, s, x);
      }
      observe("stage_" + (s + 1), x);
    }
    return finalNorm.apply(backend, x);
  }

  private void observe(String name, Tensor t) {
    if (probe != null) {
      probe.accept(name, t);
    }
  }

  private static float[][] rows(float[] flat, int batch) {
    int width = flat.length / batch;
    float[][] out = new float[batch][];
    for (int i = 0; i < batch; i++) {
      out[i] = java.util.Arrays.copyOfRange(flat, i * width, (i + 1) * width);
    }
    return out;
  }

  @Override
  public void close() {
    graphs.close();
    weights.close();
  }
}
