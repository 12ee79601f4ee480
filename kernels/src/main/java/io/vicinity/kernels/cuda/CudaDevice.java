package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.util.HashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;

/**
 * One GPU as the process sees it: its primary context (shared with every other library in the JVM), the
 * kernel module loaded once from the fatbin, and the attributes launches need. One instance per ordinal
 * per JVM, created on first use and kept for the life of the process.
 */
final class CudaDevice {
  private static final Map<Integer, CudaDevice> DEVICES = new HashMap<>();

  final int ordinal;
  final String name;
  final int major;
  final int minor;
  final int smCount;
  final int maxSharedOptin;
  final CUcontext context;
  final CUmodule module;
  /** Whether the module runs Hopper's wgmma instructions here (sm_90a code on a compute 9.0 GPU). */
  final boolean wgmma;

  private CudaDevice(int ordinal, byte[] fatbin) {
    this.ordinal = ordinal;
    CUdevice dev = new CUdevice();
    CudaException.check(cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
    byte[] nameBytes = new byte[256];
    cuDeviceGetName(nameBytes, nameBytes.length, dev);
    String n = new String(nameBytes, java.nio.charset.StandardCharsets.US_ASCII);
    this.name = n.indexOf('\0') >= 0 ? n.substring(0, n.indexOf('\0')) : n;
    this.major = attr(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    this.minor = attr(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    this.smCount = attr(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    this.maxSharedOptin = attr(dev, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
    this.context = new CUcontext();
    CudaException.check(cuDevicePrimaryCtxRetain(context, dev), "cuDevicePrimaryCtxRetain(" + ordinal + ")");
    makeCurrent();
    this.module = new CUmodule();
    CudaException.check(cuModuleLoadData(module, fatbin), "cuModuleLoadData(vicinity.fatbin) on " + describe());
    this.wgmma = probeWgmma();
  }

  /**
   * Asks the module itself (attention.cu vc_attn_wg_available): the wgmma kernels are compiled empty for
   * every target but sm_90a, and which code the driver loaded is only known on the device.
   */
  private boolean probeWgmma() {
    CUfunction f = new CUfunction();
    if (cuModuleGetFunction(f, module, "vc_attn_wg_available") != CUresult.CUDA_SUCCESS) {
      return false;
    }
    CUdeviceptr flag = new CUdeviceptr();
    CudaException.check(cuMemAlloc(flag, 4), "cuMemAlloc(wgmma probe)");
    try {
      int[] v = new int[1];
      CudaException.check(cuMemsetD32(flag, 0, 1), "cuMemsetD32(wgmma probe)");
      CudaException.check(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, null, Pointer.to(Pointer.to(flag)), null),
          "launch vc_attn_wg_available");
      CudaException.check(cuCtxSynchronize(), "vc_attn_wg_available");
      CudaException.check(cuMemcpyDtoH(Pointer.to(v), flag, 4), "cuMemcpyDtoH(wgmma probe)");
      return v[0] == 1;
    } finally {
      cuMemFree(flag);
    }
  }

  static synchronized CudaDevice get(int ordinal, byte[] fatbin) {
    CudaDevice d = DEVICES.get(ordinal);
    if (d == null) {
      d = new CudaDevice(ordinal, fatbin);
      DEVICES.put(ordinal, d);
    }
    return d;
  }

  /** Binds the primary context to the calling thread (cheap; done at every backend entry point). */
  void makeCurrent() {
    CudaException.check(cuCtxSetCurrent(context), "cuCtxSetCurrent(device " + ordinal + ")");
  }

  String describe() {
    return "cuda:" + ordinal + " " + name + " (sm_" + major + minor + (wgmma ? "a" : "") + ", " + smCount + " SMs)";
  }

  private static int attr(CUdevice dev, int attribute) {
    int[] v = new int[1];
    CudaException.check(cuDeviceGetAttribute(v, attribute, dev), "cuDeviceGetAttribute(" + attribute + ")");
    return v[0];
  }
}
