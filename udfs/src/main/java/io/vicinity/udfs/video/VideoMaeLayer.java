package io.vicinity.udfs.video;

import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.nn.LayerNorm;
import io.vicinity.udfs.nn.Linear;
import io.vicinity.udfs.nn.WeightLoader;

/**
 * One pre-norm VideoMAE (ViT) block: {@code x + proj(attn(qkv(LN(x))))}, then {@code x + fc2(gelu(fc1(LN(x))))}.
 * q, k and v are fused into one [3C, C] product at load time, from either key layout:
 * transformers 5.x ({@code query/key/value.bias}, the key bias may be non-zero) or the original published
 * checkpoints ({@code q_bias} and {@code v_bias}, the key bias is zero).
 */
final class VideoMaeLayer {
  private static final String[] PARTS = {"query", "key", "value"};
  /** The original layout's names of the query and value biases; the key has none. */
  private static final String[] LEGACY_BIAS = {"q_bias", null, "v_bias"};

  private final LayerNorm normBefore;
  private final Linear qkv;
  private final Linear proj;
  private final LayerNorm normAfter;
  private final Linear fc1;
  private final Linear fc2;
  private final int heads;

  private VideoMaeLayer(LayerNorm normBefore, Linear qkv, Linear proj, LayerNorm normAfter, Linear fc1,
      Linear fc2, int heads) {
    this.normBefore = normBefore;
    this.qkv = qkv;
    this.proj = proj;
    this.normAfter = normAfter;
    this.fc1 = fc1;
    this.fc2 = fc2;
    this.heads = heads;
  }

  /** Loads a layer from a loader positioned at {@code ...encoder.layer.<i>.}. */
  static VideoMaeLayer load(WeightLoader w, VideoMaeConfig cfg) {
    int dim = cfg.hiddenSize();
    return new VideoMaeLayer(
        LayerNorm.load(w, "layernorm_before", dim, cfg.layerNormEps()),
        loadFusedQkv(w.at("attention.attention."), dim, cfg.qkvBias()),
        Linear.load(w, "attention.output.dense", dim, dim, true),
        LayerNorm.load(w, "layernorm_after", dim, cfg.layerNormEps()),
        Linear.load(w, "intermediate.dense", dim, cfg.intermediateSize(), true),
        Linear.load(w, "output.dense", cfg.intermediateSize(), dim, true),
        cfg.numHeads());
  }

  private static Linear loadFusedQkv(WeightLoader w, int dim, boolean withBias) {
    float[] weight = new float[3 * dim * dim];
    float[] bias = withBias ? new float[3 * dim] : null;
    for (int p = 0; p < 3; p++) {
      System.arraycopy(w.host(PARTS[p] + ".weight", dim, dim), 0, weight, p * dim * dim, dim * dim);
      if (withBias) {
        float[] b = bias(w, p, dim);
        if (b != null) {
          System.arraycopy(b, 0, bias, p * dim, dim);
        }
      }
    }
    Backend b = w.backend();
    return new Linear(b.fromHost(weight, 3 * dim, dim), withBias ? b.fromHost(bias, 3 * dim) : null);
  }

  /** The bias of q, k or v in whichever layout the checkpoint uses; null means zero (the original key). */
  private static float[] bias(WeightLoader w, int part, int dim) {
    String modern = PARTS[part] + ".bias";
    if (w.has(modern)) {
      return w.host(modern, dim);
    }
    String legacy = LEGACY_BIAS[part];
    if (legacy != null && w.has(legacy)) {
      return w.host(legacy, dim);
    }
    if (legacy == null && w.has(LEGACY_BIAS[0])) {
      return null; // original layout: the key has no bias
    }
    String prefix = w.stateDict().prefix();
    throw new ModelLoadException(w.stateDict().source() + ": missing tensor '" + prefix + modern + "'"
        + (legacy == null ? "" : " (or the original layout's '" + prefix + legacy + "')")
        + "; config.json has qkv_bias true");
  }

  /** x: [B, T', H', W', C] -> the same shape. */
  Tensor forward(Backend b, Tensor x, AttentionMask mask) {
    Tensor attended = b.selfAttention(qkv.apply(b, normBefore.apply(b, x)), heads, mask);
    x = proj.apply(b, attended, Epilogue.residual(x, null));
    Tensor hidden = fc1.apply(b, normAfter.apply(b, x), Epilogue.GELU);
    return fc2.apply(b, hidden, Epilogue.residual(x, null));
  }
}
