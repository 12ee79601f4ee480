package io.vicinity.udfs.dinat;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.nn.Conv2d;
import io.vicinity.udfs.nn.LayerNorm;
import io.vicinity.udfs.nn.WeightLoader;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of DiNAT every head shares (Hugging Face's {@code DinatEmbeddings} + {@code DinatEncoder}): a
 * two-conv stem, then stages of neighborhood-attention layers with a conv downsampler after each stage but
 * the last. The classifier reads the last stage after its final norm ({@link DinatModel}); the backbone
 * reads stage outputs before downsampling ({@link DinatBackbone}), so the steps are exposed one by one.
 */
final class DinatEncoder {
  private final Conv2d stem0;
  private final Conv2d stem1;
  private final LayerNorm stemNorm;
  private final List<List<DinatLayer>> stages;
  private final List<Conv2d> downsampleConvs;
  private final List<LayerNorm> downsampleNorms;

  /** Loads from a loader positioned at the module's prefix ("dinat.", "backbone." or none). */
  DinatEncoder(WeightLoader w, DinatConfig config) {
    int half = config.embedDim() / 2;
    WeightLoader stem = w.at("embeddings.");
    stem0 = Conv2d.load(stem, "patch_embeddings.projection.0", config.numChannels(), half, 3, 2, 1, true);
    stem1 = Conv2d.load(stem, "patch_embeddings.projection.1", half, config.embedDim(), 3, 2, 1, true);
    stemNorm = LayerNorm.load(stem, "norm", config.embedDim(), DinatConfig.TORCH_LAYER_NORM_EPS);
    stages = new ArrayList<>();
    downsampleConvs = new ArrayList<>();
    downsampleNorms = new ArrayList<>();
    for (int s = 0; s < config.stages(); s++) {
      WeightLoader level = w.at("encoder.levels." + s + ".");
      List<DinatLayer> layers = new ArrayList<>();
      for (int i = 0; i < config.depths()[s]; i++) {
        layers.add(DinatLayer.load(level.at("layers." + i + "."), config, s, i));
      }
      stages.add(layers);
      if (s < config.stages() - 1) {
        int dim = config.dim(s);
        downsampleConvs.add(Conv2d.load(level, "downsample.reduction", dim, 2 * dim, 3, 2, 1, false));
        downsampleNorms.add(LayerNorm.load(level, "downsample.norm", 2 * dim, DinatConfig.TORCH_LAYER_NORM_EPS));
      }
    }
  }

  int stages() {
    return stages.size();
  }

  /** Stem: [B, H, W, 3] -> [B, H/4, W/4, C] (the "stem" feature of the backbone). */
  Tensor embed(Backend b, Tensor pixels) {
    return stemNorm.apply(b, stem1.apply(b, stem0.apply(b, pixels)));
  }

  /** The layers of stage {@code s}; the result is the stage's output before downsampling. */
  Tensor stage(Backend b, int s, Tensor x) {
    for (DinatLayer layer : stages.get(s)) {
      x = layer.forward(b, x);
    }
    return x;
  }

  /** The downsampler after stage {@code s} (not the last): halves H and W, doubles C. */
  Tensor downsample(Backend b, int s, Tensor x) {
    return downsampleNorms.get(s).apply(b, downsampleConvs.get(s).apply(b, x));
  }

  boolean hasDownsampler(int s) {
    return s < downsampleConvs.size();
  }
}
