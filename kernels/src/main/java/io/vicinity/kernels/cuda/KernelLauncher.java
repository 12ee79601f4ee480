package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuStreamIsCapturing;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUevent;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureStatus;

/**
 * The only place that calls cuLaunchKernel. Looks kernels up by name once, raises their dynamic shared
 * memory limit when asked, and turns failures into exceptions naming the kernel and the shapes. With
 * {@code checkEachLaunch} (system property vicinity.cuda.syncLaunches=true, used by tests) it also
 * synchronises after each launch so an asynchronous fault is reported against the kernel that caused it.
 */
final class KernelLauncher {
  private final CudaDevice device;
  private final CUstream stream;
  private final boolean checkEachLaunch;
  private final Map<String, CUfunction> functions = new HashMap<>();
  private final Map<String, Integer> sharedLimit = new HashMap<>();
  /** While profiling: an event pair around every launch, keyed by kernel and shapes (benchmarks only). */
  private Map<String, List<CUevent[]>> profile;

  KernelLauncher(CudaDevice device, CUstream stream, boolean checkEachLaunch) {
    this.device = device;
    this.stream = stream;
    this.checkEachLaunch = checkEachLaunch;
  }

  CudaDevice device() {
    return device;
  }

  /** Launches {@code kernel} with its arguments; {@code shapes} is only evaluated on failure. */
  void launch(String kernel, int[] grid, int block, int sharedBytes, Supplier<String> shapes, Pointer... args) {
    CUfunction f = function(kernel);
    // Raised for every size a kernel is first launched with, not only above 48 KB: static shared memory
    // (e.g. the radial kernel's tile bitmap) counts against the same 48 KB default.
    if (sharedBytes > 0 && sharedLimit.getOrDefault(kernel, 0) < sharedBytes) {
      check(cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
          "cuFuncSetAttribute(max dynamic smem " + sharedBytes + ")", kernel, shapes);
      sharedLimit.put(kernel, sharedBytes);
    }
    CUevent[] ev = null;
    if (profile != null) {
      ev = new CUevent[] {new CUevent(), new CUevent()};
      cuEventCreate(ev[0], 0);
      cuEventCreate(ev[1], 0);
      cuEventRecord(ev[0], stream);
      profile.computeIfAbsent(kernel + " | " + shapes.get(), k -> new ArrayList<>()).add(ev);
    }
    int r = cuLaunchKernel(f, grid[0], grid[1], grid[2], block, 1, 1, sharedBytes, stream, Pointer.to(args), null);
    if (ev != null) {
      cuEventRecord(ev[1], stream);
    }
    check(r, "launch grid " + grid[0] + "x" + grid[1] + "x" + grid[2] + " block " + block + " smem " + sharedBytes,
        kernel, shapes);
    if (checkEachLaunch && !capturing()) { // a sync would end a CUDA graph capture (CudaGraphs)
      check(cuStreamSynchronize(stream), "execution", kernel, shapes);
    }
  }

  private boolean capturing() {
    int[] status = new int[1];
    cuStreamIsCapturing(stream, status);
    return status[0] != CUstreamCaptureStatus.CU_STREAM_CAPTURE_STATUS_NONE;
  }

  /** Starts recording the device time of every launch (adds two events per launch; not for timing runs). */
  void startProfile() {
    profile = new LinkedHashMap<>();
  }

  /**
   * Stops recording and returns, per kernel and shapes in first-launch order, {total ms, launches}. The
   * caller must have synchronised the stream.
   */
  Map<String, double[]> stopProfile() {
    Map<String, double[]> out = new LinkedHashMap<>();
    if (profile == null) {
      return out;
    }
    float[] ms = new float[1];
    for (var e : profile.entrySet()) {
      double total = 0;
      for (CUevent[] ev : e.getValue()) {
        cuEventElapsedTime(ms, ev[0], ev[1]);
        total += ms[0];
        cuEventDestroy(ev[0]);
        cuEventDestroy(ev[1]);
      }
      out.put(e.getKey(), new double[] {total, e.getValue().size()});
    }
    profile = null;
    return out;
  }

  /** One-dimensional grid-stride launch over {@code n} elements. */
  void launch1d(String kernel, long n, Supplier<String> shapes, Pointer... args) {
    int block = 256;
    long blocks = Math.max(1, Math.min((n + block - 1) / block, (long) device.smCount * 32));
    launch(kernel, new int[] {(int) blocks, 1, 1}, block, 0, shapes, args);
  }

  private CUfunction function(String kernel) {
    return functions.computeIfAbsent(kernel, k -> {
      CUfunction f = new CUfunction();
      CudaException.check(cuModuleGetFunction(f, device.module, k), "cuModuleGetFunction(" + k + ")");
      return f;
    });
  }

  private static void check(int r, String what, String kernel, Supplier<String> shapes) {
    if (r != CUresult.CUDA_SUCCESS) {
      throw new CudaException(r, "kernel " + kernel + " " + what + " for " + shapes.get());
    }
  }
}
