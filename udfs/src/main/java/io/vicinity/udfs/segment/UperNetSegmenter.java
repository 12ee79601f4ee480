package io.vicinity.udfs.segment;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.ClassMaps;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.dinat.DinatBackbone;
import io.vicinity.udfs.hf.ConfigReader;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.nn.WeightLoader;
import io.vicinity.udfs.nn.WeightArena;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Hugging Face's {@code UperNetForSemanticSegmentation} on a {@link DinatBackbone}: backbone feature maps ->
 * {@link UperNetHead} -> class scores at the finest feature map's resolution. {@link #classMaps} resizes them to
 * the input size (HF's logits) and on to each image's own size and takes the arg-max on the backend;
 * {@link #forward} returns the scores themselves ({@link SegmentationLogits}). The auxiliary FCN head is
 * training-only: its tensors are accepted and ignored. Weights live on the backend in an arena owned by this
 * object.
 */
public final class UperNetSegmenter implements AutoCloseable {
  public static final String ARCHITECTURE = "UperNetForSemanticSegmentation";
  private static final String MODEL_TYPE = "upernet";
  private static final int[] DEFAULT_POOL_SCALES = {1, 2, 3, 6};
  private static final int DEFAULT_HIDDEN_SIZE = 512;

  private final Backend backend;
  private final Arena weights;
  private final DinatBackbone backbone;
  private final UperNetHead head;
  private final List<String> labels;
  private final int numChannels;
  /** Test hook: sees each backbone feature map, named by its stage ("stage1", ...). */
  BiConsumer<String, Tensor> probe;

  private UperNetSegmenter(Backend backend, Arena weights, DinatBackbone backbone, UperNetHead head,
      List<String> labels) {
    this.backend = backend;
    this.weights = weights;
    this.backbone = backbone;
    this.head = head;
    this.labels = labels;
    this.numChannels = backbone.config().numChannels();
  }

  /**
   * Loads an UperNet checkpoint with a DiNAT backbone onto {@code backend}. Fails with
   * {@link ModelLoadException} naming the directory and the problem (wrong architecture or backbone, bad
   * config value, missing or misshapen tensor).
   */
  public static UperNetSegmenter load(HfModelDir dir, Backend backend) {
    String arch = dir.architecture();
    if (!MODEL_TYPE.equals(dir.modelType()) || !(ARCHITECTURE.equals(arch) || MODEL_TYPE.equals(arch))) {
      throw new ModelLoadException(dir.dir() + ": unsupported architecture '" + arch + "' (model_type '"
          + dir.modelType() + "'); segmentation supports " + ARCHITECTURE + " with a DinatBackbone");
    }
    ConfigReader config = dir.configReader();
    String source = dir.dir() + ": config.json";
    ConfigReader backboneConfig = config.child("backbone_config");
    if (backboneConfig == null) {
      throw new ModelLoadException(source + " has no backbone_config (a timm or named backbone, '"
          + config.getString("backbone", null) + "', is not supported; only an embedded DinatBackbone)");
    }
    var state = dir.weights();
    return WeightArena.build(dir, backend, arch, arena -> {
      WeightLoader root = new WeightLoader(state, backend);
      DinatBackbone backbone =
          DinatBackbone.load(backboneConfig, source + " > backbone_config", root.at("backbone."));
      int numLabels = root.raw("decode_head.classifier.weight").shape()[0];
      List<String> labels = labels(dir, numLabels);
      UperNetHead head = new UperNetHead(root.at("decode_head."), backbone.channels(),
          config.getInt("hidden_size", DEFAULT_HIDDEN_SIZE), poolScales(config, source), numLabels);
      markAuxiliaryHeadUsed(state);
      return new UperNetSegmenter(backend, arena, backbone, head, labels);
    });
  }

  private static int[] poolScales(ConfigReader config, String source) {
    int[] scales = config.getIntArray("pool_scales", DEFAULT_POOL_SCALES);
    for (int s : scales) {
      if (s < 1) {
        throw new ModelLoadException(source + " pool_scales must be positive: " + java.util.Arrays.toString(scales));
      }
    }
    return scales;
  }

  /** id2label's names; HF's default names ("LABEL_<i>") when the config has none. */
  private static List<String> labels(HfModelDir dir, int numLabels) {
    List<String> names = dir.id2label();
    if (names.isEmpty()) {
      names = new ArrayList<>();
      for (int i = 0; i < numLabels; i++) {
        names.add("LABEL_" + i);
      }
      return List.copyOf(names);
    }
    if (names.size() != numLabels) {
      throw new ModelLoadException(dir.dir() + ": config.json id2label has " + names.size()
          + " labels but decode_head.classifier has " + numLabels + " outputs");
    }
    return names;
  }

  /** The auxiliary head only adds a training loss; its presence must not look like a loading mistake. */
  private static void markAuxiliaryHeadUsed(io.vicinity.udfs.checkpoint.StateDict state) {
    for (String name : state.names()) {
      if (name.startsWith("auxiliary_head.")) {
        state.markUsed(name);
      }
    }
  }

  public Backend backend() {
    return backend;
  }

  /** Class names by index. */
  public List<String> labels() {
    return labels;
  }

  public DinatBackbone backbone() {
    return backbone;
  }

  /**
   * Runs the network on a batch of preprocessed images, channels-last [batch, height, width, channels],
   * and copies the class scores (at the head's resolution) back to the host.
   */
  public SegmentationLogits forward(float[] pixels, int batch, int height, int width) {
    return uploaded(pixels, batch, height, width, this::forward);
  }

  /**
   * As {@link #forward(float[], int, int, int)} for uint8 RGB images in direct (off-heap) buffers, in batch
   * order: image i is resampled by {@code resamples.get(i)} to height x width (a copy when it was resized
   * beforehand) and byte v of channel c becomes {@code values[c * 256 + v]} ({@code Backend.fromHostBytes}).
   */
  public SegmentationLogits forward(List<ByteBuffer> images, List<ByteResample> resamples, float[] values,
      int height, int width) {
    return uploaded(images, resamples, values, height, width, this::forward);
  }

  /** As {@link #forward(float[], int, int, int)} for pixels already on the backend; the caller keeps them. */
  public SegmentationLogits forward(Tensor pixels) {
    try (Arena a = backend.openArena("upernet.forward")) {
      Tensor logits = scores(pixels);
      return new SegmentationLogits(backend.toHost(logits), pixels.dim(0), logits.dim(1), logits.dim(2),
          logits.dim(3), pixels.dim(1), pixels.dim(2));
    }
  }

  /**
   * What the segmentation job keeps of a batch: per image, the class of each pixel at the image's own size
   * {@code outH[i]} x {@code outW[i]} and optionally its probability, as Hugging Face's logits followed by
   * {@code post_process_semantic_segmentation(target_sizes)} ({@link Backend#classMaps}). The resizing and the
   * arg-max run on the backend; only the maps reach the host.
   */
  public ClassMaps classMaps(float[] pixels, int batch, int height, int width, int[] outH, int[] outW,
      boolean withProbabilities) {
    return uploaded(pixels, batch, height, width, t -> classMaps(t, outH, outW, withProbabilities));
  }

  /**
   * As {@link #classMaps(float[], int, int, int, int[], int[], boolean)} for uint8 images in direct buffers, as
   * {@link #forward(List, List, float[], int, int)} takes them.
   */
  public ClassMaps classMaps(List<ByteBuffer> images, List<ByteResample> resamples, float[] values, int height,
      int width, int[] outH, int[] outW, boolean withProbabilities) {
    return uploaded(images, resamples, values, height, width, t -> classMaps(t, outH, outW, withProbabilities));
  }

  /** As {@link #classMaps(float[], int, int, int, int[], int[], boolean)} for pixels already on the backend. */
  public ClassMaps classMaps(Tensor pixels, int[] outH, int[] outW, boolean withProbabilities) {
    try (Arena a = backend.openArena("upernet.classMaps")) {
      return backend.classMaps(scores(pixels), pixels.dim(1), pixels.dim(2), outH, outW, withProbabilities);
    }
  }

  /** Backbone and head: class scores at the finest feature map's resolution, in the caller's arena. */
  private Tensor scores(Tensor pixels) {
    List<Tensor> features = backbone.features(backend, pixels);
    if (probe != null) {
      for (int i = 0; i < features.size(); i++) {
        probe.accept(backbone.outFeatures().get(i), features.get(i));
      }
    }
    return head.forward(backend, features);
  }

  private <R> R uploaded(float[] pixels, int batch, int height, int width, Function<Tensor, R> run) {
    try (Arena a = backend.openArena("upernet.upload")) {
      return run.apply(backend.fromHost(pixels, batch, height, width, numChannels));
    }
  }

  private <R> R uploaded(List<ByteBuffer> images, List<ByteResample> resamples, float[] values, int height,
      int width, Function<Tensor, R> run) {
    try (Arena a = backend.openArena("upernet.upload")) {
      return run.apply(backend.fromHostBytes(images, resamples, values, resamples.size(), height, width,
          ByteResample.CHANNELS));
    }
  }

  @Override
  public void close() {
    weights.close();
  }
}
