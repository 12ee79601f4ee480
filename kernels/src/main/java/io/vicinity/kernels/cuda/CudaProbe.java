package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuInit;

import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** Driver-level checks, kept apart so that a missing JCuda surfaces as a LinkageError the caller catches. */
final class CudaProbe {
  private CudaProbe() {}

  static CudaAvailability probe(int ordinal) {
    JCudaDriver.setExceptionsEnabled(false);
    int r = cuInit(0);
    if (r != CUresult.CUDA_SUCCESS) {
      return new CudaAvailability(CudaStatus.NO_DRIVER, "cuInit failed: " + CUresult.stringFor(r));
    }
    int[] count = new int[1];
    r = cuDeviceGetCount(count);
    if (r != CUresult.CUDA_SUCCESS || count[0] <= ordinal) {
      return new CudaAvailability(CudaStatus.NO_DEVICE,
          "the driver reports " + count[0] + " CUDA device(s); asked for cuda:" + ordinal);
    }
    CUdevice dev = new CUdevice();
    cuDeviceGet(dev, ordinal);
    int[] major = new int[1];
    int[] minor = new int[1];
    cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
    cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
    if (major[0] < 8) {
      return new CudaAvailability(CudaStatus.UNSUPPORTED_DEVICE,
          "cuda:" + ordinal + " is sm_" + major[0] + minor[0] + "; the kernels need sm_80 or newer");
    }
    return new CudaAvailability(CudaStatus.AVAILABLE, "cuda:" + ordinal + " sm_" + major[0] + minor[0]);
  }
}
