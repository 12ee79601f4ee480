package io.vicinity.udfs.nn;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;

/** nn.Conv2d with square kernel, stride and padding, applied to channels-last maps. */
public record Conv2d(Tensor weight, Tensor bias, int stride, int padding) {

  public static Conv2d load(WeightLoader w, String name, int in, int out, int kernel, int stride,
      int padding, boolean withBias) {
    Tensor weight = w.tensor(name + ".weight", out, in, kernel, kernel);
    Tensor bias = withBias ? w.tensor(name + ".bias", out) : null;
    return new Conv2d(weight, bias, stride, padding);
  }

  public Tensor apply(Backend b, Tensor x) {
    return b.conv2d(x, weight, bias, stride, padding);
  }
}
