package io.vicinity.udfs.video;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.checkpoint.StateDict;
import io.vicinity.udfs.hf.ConfigReader;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.nn.LayerNorm;
import io.vicinity.udfs.nn.Linear;
import io.vicinity.udfs.nn.WeightLoader;
import io.vicinity.udfs.nn.WeightArena;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * VideoMAE as Hugging Face defines it ({@code VideoMAEModel}, {@code VideoMAEForVideoClassification}; the
 * encoder of {@code VideoMAEForPreTraining}): tubelet embedding (Conv3d with stride = kernel) + the fixed
 * sinusoid position table, pre-norm ViT blocks, then
 * <ul>
 *   <li>classifier with {@code use_mean_pooling}: token mean -> fc_norm -> classifier;
 *   <li>classifier without: final layernorm -> token 0 -> classifier;
 *   <li>bare model: last hidden state (after the final layernorm when there is one); embedding = token mean.
 * </ul>
 * Attention is dense (the checkpoint's own function) or masked per {@link VideoAttention}. Clips longer than
 * {@code num_frames} extend the position table (see {@link SinusoidPositions}) and say so in the output.
 */
public final class VideoMaeModel implements AutoCloseable {
  public static final String CLASSIFICATION = "VideoMAEForVideoClassification";
  /** Architectures this class loads (config.json "architectures"); pre-training loads as its encoder. */
  public static final Set<String> ARCHITECTURES = Set.of("VideoMAEModel", CLASSIFICATION, "VideoMAEForPreTraining");

  private final VideoMaeConfig config;
  private final Backend backend;
  private final Arena weights;
  private final Tensor tubeletWeight;
  private final Tensor tubeletBias;
  private final List<VideoMaeLayer> layers;
  private final LayerNorm finalNorm;
  private final LayerNorm fcNorm;
  private final Linear classifier;
  private final List<String> labels;
  /**
   * The position table replicated over the batch, on the device, per (batch, latent frames) seen: uploading it
   * every forward cost ~10 ms at 64 latent frames (38 MB of float32). Each lives in a sealed arena of its own,
   * freed with the model (never earlier: another thread may be adding it).
   */
  private final Map<Long, Tensor> positionTables = new HashMap<>();
  private final List<Arena> positionArenas = new ArrayList<>();

  /**
   * One forward pass's results, one row per clip.
   *
   * @param pooled the clip embedding: the classifier's input, or the token mean of a bare model
   * @param logits classifier scores, null without a classifier
   * @param lastHidden [N * C] per clip (tokens in (t, y, x) order) when asked for, else null
   * @param tokens N, the sequence length
   * @param positionsExtended whether the clip was longer than the checkpoint's position table
   * @param attentionDensity fraction of (query, key) pairs computed, averaged over layers (1 for dense)
   */
  public record Output(float[][] pooled, float[][] logits, float[][] lastHidden, int tokens,
      boolean positionsExtended, double attentionDensity) {}

  private VideoMaeModel(VideoMaeConfig config, Backend backend, Arena weights, WeightLoader root, String prefix,
      boolean withClassifier, List<String> labels) {
    this.config = config;
    this.backend = backend;
    this.weights = weights;
    WeightLoader w = root.at(prefix);
    int c = config.hiddenSize();
    int p = config.patchSize();
    tubeletWeight = w.tensor("embeddings.patch_embeddings.projection.weight",
        c, config.numChannels(), config.tubeletSize(), p, p);
    tubeletBias = w.tensor("embeddings.patch_embeddings.projection.bias", c);
    layers = new ArrayList<>();
    for (int i = 0; i < config.numLayers(); i++) {
      layers.add(VideoMaeLayer.load(w.at("encoder.layer." + i + "."), config));
    }
    finalNorm = config.useMeanPooling() ? null : LayerNorm.load(w, "layernorm", c, config.layerNormEps());
    this.labels = labels;
    fcNorm = withClassifier && config.useMeanPooling()
        ? LayerNorm.load(root, "fc_norm", c, VideoMaeConfig.TORCH_LAYER_NORM_EPS) : null;
    classifier = withClassifier ? Linear.load(root, "classifier", c, labels.size(), true) : null;
  }

  /**
   * Loads a VideoMAE checkpoint onto {@code backend}. Fails with {@link ModelLoadException} naming the
   * directory and the problem (wrong architecture, bad config value, missing tensor, wrong shape).
   */
  public static VideoMaeModel load(HfModelDir dir, Backend backend) {
    StateDict state = dir.weights();
    String arch = dir.architecture();
    if (arch.equals(dir.modelType())) {
      // No "architectures" in config.json (e.g. a state dict saved with torch.save): the weights decide.
      arch = state.contains("classifier.weight") ? CLASSIFICATION : "VideoMAEModel";
    }
    if (!"videomae".equals(dir.modelType()) || !ARCHITECTURES.contains(arch)) {
      throw new ModelLoadException(dir.dir() + ": unsupported architecture '" + arch + "' (model_type '"
          + dir.modelType() + "'); this loader supports " + ARCHITECTURES);
    }
    VideoMaeConfig config = parseConfig(dir);
    boolean withClassifier = CLASSIFICATION.equals(arch);
    List<String> labels = withClassifier ? dir.id2label() : List.of();
    if (withClassifier && labels.isEmpty()) {
      throw new ModelLoadException(dir.dir() + ": " + CLASSIFICATION + " without id2label in config.json");
    }
    // Classification and pre-training store the encoder under "videomae."; a bare VideoMAEModel has no prefix.
    String prefix = state.contains("videomae.embeddings.patch_embeddings.projection.weight") ? "videomae." : "";
    return WeightArena.build(dir, backend, arch, arena -> {
      return new VideoMaeModel(config, backend, arena, new WeightLoader(state, backend), prefix,
          withClassifier, labels);
    });
  }

  static VideoMaeConfig parseConfig(HfModelDir dir) {
    ConfigReader c = dir.configReader();
    String act = c.getString("hidden_act", "gelu");
    if (!"gelu".equals(act)) {
      throw new ModelLoadException(dir.dir() + ": config.json hidden_act '" + act + "' is not supported (only gelu)");
    }
    try {
      return new VideoMaeConfig(
          c.getInt("num_channels", 3),
          squareSize(dir, c, "image_size", 224),
          squareSize(dir, c, "patch_size", 16),
          c.getInt("num_frames", 16),
          c.getInt("tubelet_size", 2),
          c.getInt("hidden_size", 768),
          c.getInt("num_hidden_layers", 12),
          c.getInt("num_attention_heads", 12),
          c.getInt("intermediate_size", 3072),
          c.getDouble("layer_norm_eps", 1e-12),
          c.getBool("qkv_bias", true),
          c.getBool("use_mean_pooling", true));
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(dir.dir() + ": " + e.getMessage(), e);
    }
  }

  /** HF accepts an int or a [h, w] pair; our tubelet grid assumes square, as every published checkpoint is. */
  private static int squareSize(HfModelDir dir, ConfigReader c, String key, int defaultValue) {
    if (c.has(key) && c.node().get(key).isArray()) {
      int[] pair = c.getIntArray(key, null);
      if (pair.length != 2 || pair[0] != pair[1]) {
        throw new ModelLoadException(dir.dir() + ": config.json " + key + " " + Arrays.toString(pair)
            + " is not supported (only square sizes)");
      }
      return pair[0];
    }
    return c.getInt(key, defaultValue);
  }

  public VideoMaeConfig config() {
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
   * Runs the encoder on a batch of preprocessed clips, channels-last [batch, frames, height, width, channels]
   * with height = width = image_size and frames a multiple of tubelet_size, and copies the results back.
   */
  public Output forward(float[] pixels, int batch, int frames, VideoAttention attention, boolean keepLastHidden) {
    return forward(pixels.length, shape -> backend.fromHost(pixels, shape), batch, frames, attention,
        keepLastHidden);
  }

  /**
   * As {@link #forward(float[], int, int, VideoAttention, boolean)} for clips in a direct (off-heap) buffer,
   * its remaining bytes little-endian float32; the backend reads them in place (no float[] in between).
   */
  public Output forward(ByteBuffer pixels, int batch, int frames, VideoAttention attention, boolean keepLastHidden) {
    return forward(pixels.remaining() / 4, shape -> backend.fromHost(pixels, shape), batch, frames, attention,
        keepLastHidden);
  }

  /**
   * As {@link #forward(float[], int, int, VideoAttention, boolean)} for clips as decoded uint8 RGB frames
   * (direct buffers, in order, each frame {@code resample.sourceBytes()} bytes): each frame becomes the region
   * {@code resample} gives (the preprocessor's resize and crop) and byte v in channel c becomes
   * {@code channelValues[c * 256 + v]} (its rescale and normalize), on the device ({@code Backend.fromHostBytes}):
   * on a GPU only the decoded bytes cross PCIe. Frames resized on the host come with an identity resample.
   */
  public Output forward(List<ByteBuffer> frameBytes, ByteResample resample, float[] channelValues, int batch,
      int frames, VideoAttention attention, boolean keepLastHidden) {
    long bytes = 0;
    for (ByteBuffer b : frameBytes) {
      bytes += b.remaining();
    }
    long values = bytes / resample.sourceBytes() * resample.outputBytes();
    if (bytes % resample.sourceBytes() != 0) {
      throw new IllegalArgumentException("VideoMAE forward: " + bytes + " bytes are not whole frames of "
          + resample.sourceWidth() + "x" + resample.sourceHeight() + " RGB");
    }
    return forward(values, shape -> backend.fromHostBytes(frameBytes, resample, channelValues, shape), batch, frames,
        attention, keepLastHidden);
  }

  /** {@code upload} makes the input tensor of the shape it is given from {@code values} pixel values. */
  private Output forward(long values, Function<int[], Tensor> upload, int batch, int frames, VideoAttention attention,
      boolean keepLastHidden) {
    int size = config.imageSize();
    int channels = config.numChannels();
    long expected = (long) batch * frames * size * size * channels;
    if (batch < 1 || frames < config.tubeletSize() || frames % config.tubeletSize() != 0 || values != expected) {
      throw new IllegalArgumentException("VideoMAE forward: expected [batch, frames, " + size + ", " + size + ", "
          + channels + "] with frames a multiple of tubelet_size " + config.tubeletSize() + "; got batch " + batch
          + ", frames " + frames + ", " + values + " values");
    }
    int latentFrames = frames / config.tubeletSize();
    int grid = config.grid();
    int tokens = latentFrames * config.tokensPerFrame();
    int c = config.hiddenSize();
    try (Arena a = backend.openArena("videomae.forward")) {
      Tensor x = upload.apply(new int[] {batch, frames, size, size, channels});
      x = backend.conv3d(x, tubeletWeight, tubeletBias, config.tubeletSize(), config.patchSize(), config.patchSize());
      x = backend.add(x, positions(batch, tokens, latentFrames, grid));
      for (int i = 0; i < layers.size(); i++) {
        x = layers.get(i).forward(backend, x, attention.maskFor(i, latentFrames, grid, grid));
      }
      if (finalNorm != null) {
        x = finalNorm.apply(backend, x);
      }
      float[][] lastHidden = keepLastHidden ? rows(backend.toHost(x), batch) : null;
      Tensor pooled = pool(x, batch, tokens, c);
      float[][] logits = classifier == null ? null : rows(backend.toHost(classifier.apply(backend, pooled)), batch);
      return new Output(rows(backend.toHost(pooled), batch), logits, lastHidden, tokens,
          tokens > config.numPatches(), attention.density(layers.size(), latentFrames, grid, grid));
    }
  }

  /** The position table replicated over the batch, shaped like the embeddings [B, T', H', W', C] (cached). */
  private synchronized Tensor positions(int batch, int tokens, int latentFrames, int grid) {
    long key = ((long) batch << 32) | latentFrames;
    Tensor cached = positionTables.get(key);
    if (cached != null) {
      return cached;
    }
    int c = config.hiddenSize();
    float[] table = SinusoidPositions.table(tokens, c);
    float[] replicated = new float[Math.multiplyExact(batch, table.length)];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(table, 0, replicated, b * table.length, table.length);
    }
    Arena arena = backend.openArena("videomae.positions");
    Tensor uploaded;
    try {
      uploaded = backend.fromHost(replicated, batch, latentFrames, grid, grid, c);
    } finally {
      arena.seal();
    }
    positionArenas.add(arena);
    positionTables.put(key, uploaded);
    return uploaded;
  }

  private Tensor pool(Tensor x, int batch, int tokens, int c) {
    if (classifier != null && fcNorm == null) {
      // No mean pooling: the classifier reads token 0 of the normalised sequence.
      float[] all = backend.toHost(x);
      float[] first = new float[batch * c];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(all, b * tokens * c, first, b * c, c);
      }
      return backend.fromHost(first, batch, c);
    }
    Tensor mean = backend.meanPool(x);
    return fcNorm == null ? mean : fcNorm.apply(backend, mean);
  }

  private static float[][] rows(float[] flat, int batch) {
    int width = flat.length / batch;
    float[][] out = new float[batch][];
    for (int i = 0; i < batch; i++) {
      out[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
    }
    return out;
  }

  @Override
  public synchronized void close() {
    positionArenas.forEach(Arena::close);
    positionArenas.clear();
    positionTables.clear();
    weights.close();
  }
}
