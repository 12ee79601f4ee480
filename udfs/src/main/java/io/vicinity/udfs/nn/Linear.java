package io.vicinity.udfs.nn;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.Tensor;

/** nn.Linear: weight [out, in], optional bias [out]. */
public record Linear(Tensor weight, Tensor bias) {

  /** Loads {@code <name>.weight} and {@code <name>.bias} (the bias only when {@code withBias}). */
  public static Linear load(WeightLoader w, String name, int in, int out, boolean withBias) {
    Tensor weight = w.tensor(name + ".weight", out, in);
    Tensor bias = withBias ? w.tensor(name + ".bias", out) : null;
    return new Linear(weight, bias);
  }

  public Tensor apply(Backend b, Tensor x) {
    return b.linear(x, weight, bias, Epilogue.NONE);
  }

  public Tensor apply(Backend b, Tensor x, Epilogue epilogue) {
    return b.linear(x, weight, bias, epilogue);
  }
}
