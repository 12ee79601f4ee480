package io.vicinity.kernels.cuda;

/** Why the CUDA backend can or cannot run here; checked in this order by {@link CudaBackend#availability()}. */
public enum CudaStatus {
  AVAILABLE,
  /** The jar was built without nvcc, so it carries no vicinity.fatbin. */
  NO_FATBIN,
  /** JCuda's classes or native library could not be loaded. */
  NO_JCUDA,
  /** libcuda.so.1 is missing or cuInit failed (no driver, driver too old). */
  NO_DRIVER,
  /** The driver reports no CUDA device (or the requested ordinal does not exist). */
  NO_DEVICE,
  /** The device is older than sm_80 or the module does not load on it. */
  UNSUPPORTED_DEVICE
}
