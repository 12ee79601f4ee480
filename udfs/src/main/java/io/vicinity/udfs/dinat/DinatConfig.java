package io.vicinity.udfs.dinat;

import java.util.Arrays;

/**
 * The part of a Hugging Face DinatConfig that decides the computation. Validated on construction so that
 * an inconsistent config.json fails at load time with a message naming the key.
 *
 * @param embedDim channels of the first stage; stage s has embedDim * 2^s
 * @param depths layers per stage
 * @param numHeads heads per stage
 * @param kernelSize neighborhood size (odd), the same in every layer
 * @param dilations dilation of layer i in stage s: dilations[s][i]
 * @param mlpRatio hidden width of the MLP relative to the stage width
 * @param qkvBias whether query/key/value have biases
 * @param layerNormEps epsilon of the per-layer norms and the final norm
 * @param layerScale whether layers carry layer_scale_parameters (layer_scale_init_value > 0)
 */
public record DinatConfig(
    int numChannels,
    int embedDim,
    int[] depths,
    int[] numHeads,
    int kernelSize,
    int[][] dilations,
    double mlpRatio,
    boolean qkvBias,
    double layerNormEps,
    boolean layerScale) {

  /** nn.LayerNorm's default: the embedding and downsampler norms are built without config's eps. */
  public static final float TORCH_LAYER_NORM_EPS = 1e-5f;

  public DinatConfig {
    require(embedDim > 0, "embed_dim", embedDim);
    require(depths.length > 0, "depths", Arrays.toString(depths));
    require(numHeads.length == depths.length, "num_heads (one per stage)", Arrays.toString(numHeads));
    require(dilations.length == depths.length, "dilations (one list per stage)", Arrays.deepToString(dilations));
    require(kernelSize > 0 && kernelSize % 2 == 1, "kernel_size (odd)", kernelSize);
    for (int s = 0; s < depths.length; s++) {
      require(depths[s] >= 1, "depths", Arrays.toString(depths));
      require(dilations[s].length == depths[s], "dilations[" + s + "] (one per layer)",
          Arrays.toString(dilations[s]));
      for (int d : dilations[s]) {
        require(d >= 1, "dilations[" + s + "]", Arrays.toString(dilations[s]));
      }
      require(numHeads[s] >= 1 && stageDim(embedDim, s) % numHeads[s] == 0,
          "num_heads[" + s + "] (must divide the stage width " + stageDim(embedDim, s) + ")", numHeads[s]);
    }
    require(mlpRatio > 0, "mlp_ratio", mlpRatio);
  }

  private static int stageDim(int embedDim, int stage) {
    return embedDim << stage;
  }

  private static void require(boolean ok, String key, Object value) {
    if (!ok) {
      throw new IllegalArgumentException("invalid " + key + ": " + value);
    }
  }

  public int stages() {
    return depths.length;
  }

  public int dim(int stage) {
    return stageDim(embedDim, stage);
  }

  /** int(mlp_ratio * dim), as Hugging Face truncates it. */
  public int mlpDim(int stage) {
    return (int) (mlpRatio * dim(stage));
  }

  /** Channels of the last stage: the width of the pooled embedding. */
  public int numFeatures() {
    return dim(stages() - 1);
  }
}
