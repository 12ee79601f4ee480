package io.vicinity.udfs.dinat;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.hf.ConfigReader;
import io.vicinity.udfs.nn.LayerNorm;
import io.vicinity.udfs.nn.WeightLoader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * Hugging Face's {@code DinatBackbone}: the {@link DinatEncoder} read at the stages named in
 * {@code out_features} ("stem", "stage1", ...), each stage output taken before its downsampler and passed
 * through its own {@code hidden_states_norms.<stage>} layer norm. Feature maps are channels-last and come
 * in stage order (as HF returns them, whatever the order of out_features). The weights belong to the arena
 * open while {@link #load} runs, i.e. to the model that embeds this backbone.
 */
public final class DinatBackbone {
  /** The {@code model_type} of a backbone_config this class loads. */
  public static final String MODEL_TYPE = "dinat";
  private static final String STEM = "stem";

  private final DinatConfig config;
  private final DinatEncoder encoder;
  /** Stage index of each output: 0 is the stem, s + 1 is stage s; ascending. */
  private final int[] outputStages;
  private final List<String> outFeatures;
  private final int[] channels;
  private final List<LayerNorm> norms;

  private DinatBackbone(DinatConfig config, WeightLoader w, int[] outputStages) {
    this.config = config;
    this.encoder = new DinatEncoder(w, config);
    this.outputStages = outputStages;
    this.outFeatures = new ArrayList<>();
    this.channels = new int[outputStages.length];
    this.norms = new ArrayList<>();
    for (int i = 0; i < outputStages.length; i++) {
      String name = stageName(outputStages[i]);
      // The stem has embed_dim channels, like stage1 (HF's out_feature_channels).
      channels[i] = config.dim(Math.max(0, outputStages[i] - 1));
      outFeatures.add(name);
      norms.add(LayerNorm.load(w, "hidden_states_norms." + name, channels[i], DinatConfig.TORCH_LAYER_NORM_EPS));
    }
  }

  /**
   * Loads the backbone described by {@code backboneConfig} (config.json's {@code backbone_config}) from
   * {@code weights}, a loader positioned at the backbone's prefix ("backbone."). Fails with a
   * {@link ModelLoadException} starting with {@code source} when the backbone is not a DiNAT, a config value
   * is invalid, or a tensor is missing or misshapen.
   */
  public static DinatBackbone load(ConfigReader backboneConfig, String source, WeightLoader weights) {
    String type = backboneConfig.getString("model_type", null);
    if (!MODEL_TYPE.equals(type)) {
      throw new ModelLoadException(source + " model_type is '" + type + "'; only a '" + MODEL_TYPE
          + "' backbone (DinatBackbone) is supported");
    }
    DinatConfig config = DinatModel.parseConfig(backboneConfig, source);
    int[] outputStages = outputStages(backboneConfig, source, config.stages());
    return new DinatBackbone(config, weights, outputStages);
  }

  /** Stage indexes from out_features, else out_indices, else the last stage (HF's default). */
  private static int[] outputStages(ConfigReader c, String source, int stages) {
    TreeMap<Integer, String> chosen = new TreeMap<>();
    if (c.has("out_features")) {
      var node = c.node().get("out_features");
      for (int i = 0; i < node.size(); i++) {
        String name = node.get(i).asText();
        int stage = stageIndex(name);
        if (stage < 0 || stage > stages || chosen.put(stage, name) != null) {
          throw new ModelLoadException(source + " out_features " + node + ": '" + name + "' is not one of "
              + stageNames(stages) + " or is repeated");
        }
      }
    } else if (c.has("out_indices")) {
      int[] indices = c.getIntArray("out_indices", null);
      for (int index : indices) {
        int stage = index < 0 ? index + stages + 1 : index; // Python-style negative indexes
        if (stage < 0 || stage > stages || chosen.put(stage, stageName(stage)) != null) {
          throw new ModelLoadException(source + " out_indices " + Arrays.toString(indices)
              + " do not name distinct stages among " + stageNames(stages));
        }
      }
    } else {
      chosen.put(stages, stageName(stages));
    }
    if (chosen.isEmpty()) {
      throw new ModelLoadException(source + " out_features is empty");
    }
    return chosen.keySet().stream().mapToInt(Integer::intValue).toArray();
  }

  private static int stageIndex(String name) {
    if (STEM.equals(name)) {
      return 0;
    }
    if (name.startsWith("stage")) {
      try {
        return Integer.parseInt(name.substring("stage".length()));
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }

  private static String stageName(int stage) {
    return stage == 0 ? STEM : "stage" + stage;
  }

  private static List<String> stageNames(int stages) {
    List<String> names = new ArrayList<>();
    for (int s = 0; s <= stages; s++) {
      names.add(stageName(s));
    }
    return names;
  }

  public DinatConfig config() {
    return config;
  }

  /** Names of the feature maps {@link #features} returns, in order. */
  public List<String> outFeatures() {
    return List.copyOf(outFeatures);
  }

  /** Channels of each feature map, in order. */
  public int[] channels() {
    return channels.clone();
  }

  /**
   * [B, H, W, 3] preprocessed pixels -> one normalised [B, h, w, C] map per out feature; a stage at stride
   * 2^(s+2). Stages past the last requested one are not run (they cannot change the outputs).
   */
  public List<Tensor> features(Backend b, Tensor pixels) {
    List<Tensor> out = new ArrayList<>(outputStages.length);
    Tensor x = encoder.embed(b, pixels);
    int next = 0;
    if (outputStages[0] == 0) {
      out.add(norms.get(next++).apply(b, x));
    }
    for (int s = 0; next < outputStages.length; s++) {
      x = encoder.stage(b, s, x);
      if (outputStages[next] == s + 1) {
        out.add(norms.get(next++).apply(b, x));
      }
      if (next < outputStages.length) {
        x = encoder.downsample(b, s, x);
      }
    }
    return out;
  }
}
