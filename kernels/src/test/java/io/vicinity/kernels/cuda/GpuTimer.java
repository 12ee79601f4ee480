package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import io.vicinity.kernels.Tensor;
import java.util.Arrays;
import java.util.function.IntFunction;
import jcuda.driver.CUevent;

/**
 * CUDA-event timing for the benchmarks: events recorded on the backend's stream around each call, after
 * untimed warm-up calls. {@code call} gets the run index (to rotate input sets) and returns its output, which
 * the timer closes. Both methods return {median ms, min ms}.
 */
final class GpuTimer {
  private GpuTimer() {}

  /** Queues all timed calls before waiting on any, so back-to-back launches overlap host and device work. */
  static double[] queued(CudaBackend gpu, int warmup, int iters, IntFunction<Tensor> call) {
    warmUp(gpu, warmup, call);
    CUevent[] start = new CUevent[iters];
    CUevent[] end = new CUevent[iters];
    for (int i = 0; i < iters; i++) {
      start[i] = event();
      end[i] = event();
    }
    for (int i = 0; i < iters; i++) {
      cuEventRecord(start[i], gpu.stream());
      Tensor out = call.apply(i);
      cuEventRecord(end[i], gpu.stream());
      out.close();
    }
    float[] ms = new float[iters];
    for (int i = 0; i < iters; i++) {
      ms[i] = elapsed(start[i], end[i]);
    }
    return medianAndMin(ms);
  }

  /** Waits for each timed call before launching the next, so every call starts on an idle device. */
  static double[] oneByOne(CudaBackend gpu, int warmup, int iters, IntFunction<Tensor> call) {
    warmUp(gpu, warmup, call);
    float[] ms = new float[iters];
    for (int i = 0; i < iters; i++) {
      CUevent s = event();
      CUevent t = event();
      cuEventRecord(s, gpu.stream());
      Tensor out = call.apply(i);
      cuEventRecord(t, gpu.stream());
      ms[i] = elapsed(s, t);
      out.close();
    }
    return medianAndMin(ms);
  }

  private static void warmUp(CudaBackend gpu, int warmup, IntFunction<Tensor> call) {
    for (int i = 0; i < warmup; i++) {
      call.apply(i).close();
    }
    gpu.synchronize();
  }

  private static CUevent event() {
    CUevent e = new CUevent();
    cuEventCreate(e, 0);
    return e;
  }

  /** Waits for {@code end}, then frees both events. */
  private static float elapsed(CUevent start, CUevent end) {
    float[] one = new float[1];
    cuEventSynchronize(end);
    cuEventElapsedTime(one, start, end);
    cuEventDestroy(start);
    cuEventDestroy(end);
    return one[0];
  }

  private static double[] medianAndMin(float[] ms) {
    Arrays.sort(ms);
    return new double[] {ms[ms.length / 2], ms[0]};
  }
}
