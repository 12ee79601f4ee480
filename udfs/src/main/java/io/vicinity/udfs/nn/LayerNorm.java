package io.vicinity.udfs.nn;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;

/** nn.LayerNorm over the last axis. */
public record LayerNorm(Tensor gamma, Tensor beta, float eps) {

  public static LayerNorm load(WeightLoader w, String name, int dim, double eps) {
    return new LayerNorm(w.tensor(name + ".weight", dim), w.tensor(name + ".bias", dim), (float) eps);
  }

  public Tensor apply(Backend b, Tensor x) {
    return b.layerNorm(x, gamma, beta, eps);
  }
}
