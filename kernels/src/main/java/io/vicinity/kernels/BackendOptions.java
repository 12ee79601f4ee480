package io.vicinity.kernels;

/**
 * What the caller asks of a backend.
 *
 * @param computeType activation dtype (the CPU backend always computes in float32)
 * @param device GPU ordinal for the CUDA backend (ignored on the CPU)
 * @param threads worker threads for the CPU backend (0: all processors)
 */
public record BackendOptions(DType computeType, int device, int threads) {
  public static final BackendOptions DEFAULTS = new BackendOptions(DType.F32, 0, 0);

  public BackendOptions withDevice(int ordinal) {
    return new BackendOptions(computeType, ordinal, threads);
  }
}
