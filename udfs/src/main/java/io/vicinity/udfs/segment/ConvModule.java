package io.vicinity.udfs.segment;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.nn.Conv2d;
import io.vicinity.udfs.nn.WeightLoader;

/**
 * Hugging Face's {@code UperNetConvModule}: a bias-free stride-1 convolution, batch norm with its running
 * statistics (eval mode), then ReLU, fused into the backend's batch norm.
 */
record ConvModule(Conv2d conv, Tensor mean, Tensor var, Tensor gamma, Tensor beta) {
  /** nn.BatchNorm2d's default; UperNet does not change it. */
  static final float BATCH_NORM_EPS = 1e-5f;

  /** Loads {@code <name>.conv.weight} and {@code <name>.batch_norm.*}. */
  static ConvModule load(WeightLoader w, String name, int in, int out, int kernel) {
    Conv2d conv = Conv2d.load(w, name + ".conv", in, out, kernel, 1, kernel / 2, false);
    String bn = name + ".batch_norm.";
    // The step counter only matters for training with momentum=None.
    w.stateDict().markUsed(bn + "num_batches_tracked");
    return new ConvModule(conv, w.tensor(bn + "running_mean", out), w.tensor(bn + "running_var", out),
        w.tensor(bn + "weight", out), w.tensor(bn + "bias", out));
  }

  Tensor apply(Backend b, Tensor x) {
    return b.batchNorm(conv.apply(b, x), mean, var, gamma, beta, BATCH_NORM_EPS, true);
  }
}
