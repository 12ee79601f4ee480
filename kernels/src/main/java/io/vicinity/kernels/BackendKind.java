package io.vicinity.kernels;

/** Which implementation of the operator contract. */
public enum BackendKind {
  CPU,
  CUDA
}
