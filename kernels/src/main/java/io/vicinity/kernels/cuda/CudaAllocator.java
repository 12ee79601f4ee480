package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

import jcuda.Pointer;
import jcuda.driver.JCudaDriver;

/** The only place that allocates or frees device and pinned host memory (callers: pool and staging). */
final class CudaAllocator {
  private CudaAllocator() {}

  static DevicePtr deviceAlloc(long bytes, String why) {
    DevicePtr p = new DevicePtr();
    CudaException.check(cuMemAlloc(p, bytes), "cuMemAlloc(" + bytes + " bytes) for " + why);
    return p;
  }

  static void deviceFree(DevicePtr p) {
    CudaException.check(cuMemFree(p), "cuMemFree");
  }

  static Pointer hostAllocPinned(long bytes) {
    Pointer p = new Pointer();
    CudaException.check(
        cuMemHostAlloc(p, bytes, JCudaDriver.CU_MEMHOSTALLOC_PORTABLE), "cuMemHostAlloc(" + bytes + " bytes)");
    return p;
  }

  static void hostFreePinned(Pointer p) {
    CudaException.check(cuMemFreeHost(p), "cuMemFreeHost");
  }
}
