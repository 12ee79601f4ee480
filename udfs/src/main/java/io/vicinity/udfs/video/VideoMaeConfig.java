package io.vicinity.udfs.video;

/**
 * The part of a Hugging Face VideoMAEConfig that decides the computation, validated on construction so that
 * an inconsistent config.json fails at load time with a message naming the key.
 *
 * @param imageSize input frame height and width (square, as HF's config holds one number)
 * @param patchSize spatial side of a tubelet
 * @param numFrames frames per clip the checkpoint was trained on (sets the stored position-table length)
 * @param tubeletSize frames per tubelet (the temporal kernel and stride of the embedding)
 * @param useMeanPooling classifier pools the token mean through fc_norm; otherwise a final layernorm and
 *     token 0
 */
public record VideoMaeConfig(
    int numChannels,
    int imageSize,
    int patchSize,
    int numFrames,
    int tubeletSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int intermediateSize,
    double layerNormEps,
    boolean qkvBias,
    boolean useMeanPooling) {

  /** nn.LayerNorm's default eps: fc_norm is built without config's layer_norm_eps. */
  public static final float TORCH_LAYER_NORM_EPS = 1e-5f;

  public VideoMaeConfig {
    require(numChannels >= 1, "num_channels", numChannels);
    require(patchSize >= 1, "patch_size", patchSize);
    require(imageSize >= patchSize && imageSize % patchSize == 0,
        "image_size (a multiple of patch_size " + patchSize + ")", imageSize);
    require(tubeletSize >= 1, "tubelet_size", tubeletSize);
    require(numFrames >= tubeletSize && numFrames % tubeletSize == 0,
        "num_frames (a multiple of tubelet_size " + tubeletSize + ")", numFrames);
    require(hiddenSize >= 1, "hidden_size", hiddenSize);
    require(numLayers >= 1, "num_hidden_layers", numLayers);
    require(numHeads >= 1 && hiddenSize % numHeads == 0,
        "num_attention_heads (must divide hidden_size " + hiddenSize + ")", numHeads);
    require(intermediateSize >= 1, "intermediate_size", intermediateSize);
    require(layerNormEps > 0, "layer_norm_eps", layerNormEps);
  }

  private static void require(boolean ok, String key, Object value) {
    if (!ok) {
      throw new IllegalArgumentException("config.json: invalid " + key + ": " + value);
    }
  }

  /** Patches per frame side (H' = W'). */
  public int grid() {
    return imageSize / patchSize;
  }

  /** Tokens per latent frame, S = H' * W'. */
  public int tokensPerFrame() {
    return grid() * grid();
  }

  /** Length of the position table the checkpoint was built with: (num_frames / tubelet) * S. */
  public int numPatches() {
    return numFrames / tubeletSize * tokensPerFrame();
  }
}
