package io.vicinity.kernels.cpu;

import io.vicinity.kernels.Activation;

/** Element-wise activations, computed in double. */
final class Activations {
  private Activations() {}

  static double apply(Activation act, double x) {
    switch (act) {
      case NONE:
        return x;
      case RELU:
        return Math.max(x, 0.0); // keeps NaN, as torch does
      case GELU:
        return Erf.gelu(x);
      default:
        throw new IllegalArgumentException("activation: unsupported " + act);
    }
  }
}
