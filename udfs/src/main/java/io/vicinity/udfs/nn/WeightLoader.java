package io.vicinity.udfs.nn;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.Tensor;
import io.vicinity.udfs.checkpoint.HostTensor;
import io.vicinity.udfs.checkpoint.StateDict;

/**
 * Uploads checkpoint tensors to a backend after checking their shapes against what the config implies.
 * One instance per sub-module prefix ({@link #at}); the tensors it creates belong to the arena open on
 * the loading thread (the model's weight arena).
 */
public final class WeightLoader {
  private final StateDict weights;
  private final Backend backend;

  public WeightLoader(StateDict weights, Backend backend) {
    this.weights = weights;
    this.backend = backend;
  }

  /** A loader for the sub-module under {@code prefix} (e.g. "encoder.levels.0."). */
  public WeightLoader at(String prefix) {
    return new WeightLoader(weights.stripPrefix(prefix), backend);
  }

  public Backend backend() {
    return backend;
  }

  public StateDict stateDict() {
    return weights;
  }

  public boolean has(String name) {
    return weights.contains(name);
  }

  /** The tensor's values on the host, shape-checked. */
  public float[] host(String name, int... shape) {
    return weights.require(name, shape).toFloats();
  }

  /** Uploads a tensor, shape-checked. */
  public Tensor tensor(String name, int... shape) {
    return backend.fromHost(host(name, shape), shape);
  }

  /** Uploads a tensor if the checkpoint has it, else null (e.g. a bias-free layer's bias). */
  public Tensor optional(String name, int... shape) {
    if (!weights.contains(name)) {
      return null;
    }
    return tensor(name, shape);
  }

  /** The raw checkpoint entry (shape unchecked), for loaders that derive shapes from it. */
  public HostTensor raw(String name) {
    return weights.require(name);
  }
}
