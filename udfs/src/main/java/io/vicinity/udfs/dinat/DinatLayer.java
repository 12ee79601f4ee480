package io.vicinity.udfs.dinat;

import io.vicinity.kernels.Activation;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.NaParams;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.nn.LayerNorm;
import io.vicinity.udfs.nn.Linear;
import io.vicinity.udfs.nn.WeightLoader;

/**
 * One pre-norm DiNAT layer: {@code x + ls0 * proj(NA(qkv(LN(x))))}, then {@code x + ls1 * mlp(LN(x))}.
 * q, k and v are one [3C, C] product (their weights concatenated at load), so attention reads a single
 * packed tensor.
 */
final class DinatLayer {
  private final LayerNorm normBefore;
  private final Linear qkv;
  private final Tensor rpb;
  private final NaParams attention;
  private final Linear proj;
  private final LayerNorm normAfter;
  private final Linear fc1;
  private final Linear fc2;
  private final Tensor scaleAttention;
  private final Tensor scaleMlp;

  private DinatLayer(LayerNorm normBefore, Linear qkv, Tensor rpb, NaParams attention, Linear proj,
      LayerNorm normAfter, Linear fc1, Linear fc2, Tensor scaleAttention, Tensor scaleMlp) {
    this.normBefore = normBefore;
    this.qkv = qkv;
    this.rpb = rpb;
    this.attention = attention;
    this.proj = proj;
    this.normAfter = normAfter;
    this.fc1 = fc1;
    this.fc2 = fc2;
    this.scaleAttention = scaleAttention;
    this.scaleMlp = scaleMlp;
  }

  /** Loads layer {@code index} of a stage from a loader positioned at {@code ...layers.<index>.}. */
  static DinatLayer load(WeightLoader w, DinatConfig cfg, int stage, int index) {
    int dim = cfg.dim(stage);
    int heads = cfg.numHeads()[stage];
    int k = cfg.kernelSize();
    NaParams na = new NaParams(heads, k, cfg.dilations()[stage][index]);
    Tensor scaleAttention = null;
    Tensor scaleMlp = null;
    if (cfg.layerScale()) {
      float[] ls = w.host("layer_scale_parameters", 2, dim);
      scaleAttention = w.backend().fromHost(java.util.Arrays.copyOfRange(ls, 0, dim), dim);
      scaleMlp = w.backend().fromHost(java.util.Arrays.copyOfRange(ls, dim, 2 * dim), dim);
    }
    return new DinatLayer(
        LayerNorm.load(w, "layernorm_before", dim, cfg.layerNormEps()),
        loadFusedQkv(w.at("attention.self."), dim, cfg.qkvBias()),
        w.tensor("attention.self.rpb", heads, 2 * k - 1, 2 * k - 1),
        na,
        Linear.load(w, "attention.output.dense", dim, dim, true),
        LayerNorm.load(w, "layernorm_after", dim, cfg.layerNormEps()),
        Linear.load(w, "intermediate.dense", dim, cfg.mlpDim(stage), true),
        Linear.load(w, "output.dense", cfg.mlpDim(stage), dim, true),
        scaleAttention,
        scaleMlp);
  }

  private static Linear loadFusedQkv(WeightLoader w, int dim, boolean withBias) {
    String[] parts = {"query", "key", "value"};
    float[] weight = new float[3 * dim * dim];
    float[] bias = withBias ? new float[3 * dim] : null;
    for (int p = 0; p < 3; p++) {
      System.arraycopy(w.host(parts[p] + ".weight", dim, dim), 0, weight, p * dim * dim, dim * dim);
      if (withBias) {
        System.arraycopy(w.host(parts[p] + ".bias", dim), 0, bias, p * dim, dim);
      }
    }
    Backend b = w.backend();
    return new Linear(b.fromHost(weight, 3 * dim, dim), withBias ? b.fromHost(bias, 3 * dim) : null);
  }

  /** x: [B, H, W, C] -> [B, H, W, C]. */
  Tensor forward(Backend b, Tensor x) {
    int height = x.dim(1);
    int width = x.dim(2);
    int window = attention.kernel() * attention.dilation();
    // Hugging Face pads the normalised map (right/bottom, zeros) when it is smaller than the dilated
    // window; padded tokens then act as keys/values equal to the projection biases.
    int padBottom = Math.max(0, window - height);
    int padRight = Math.max(0, window - width);

    Tensor h = normBefore.apply(b, x);
    if (padBottom > 0 || padRight > 0) {
      h = b.pad2d(h, padBottom, padRight);
    }
    Tensor attended = b.neighborhoodAttention2d(qkv.apply(b, h), rpb, attention);
    if (padBottom > 0 || padRight > 0) {
      attended = b.crop2d(attended, height, width);
    }
    x = proj.apply(b, attended, Epilogue.residual(x, scaleAttention));

    Tensor hidden = fc1.apply(b, normAfter.apply(b, x), Epilogue.GELU);
    return fc2.apply(b, hidden, new Epilogue(Activation.NONE, scaleMlp, x));
  }
}
