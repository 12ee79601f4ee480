package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuGetErrorName;

import jcuda.driver.CUresult;

/** A failed CUDA driver call; the message names the call or kernel and the shapes involved. */
public final class CudaException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int code;

  public CudaException(int code, String what) {
    super(what + " failed: " + name(code) + " (" + code + ")");
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** Throws unless {@code result} is CUDA_SUCCESS; {@code what} says which call with which shapes. */
  static void check(int result, String what) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new CudaException(result, what);
    }
  }

  private static String name(int code) {
    try {
      String[] out = new String[1];
      cuGetErrorName(code, out);
      return out[0] != null ? out[0] : CUresult.stringFor(code);
    } catch (RuntimeException | LinkageError e) {
      return CUresult.stringFor(code);
    }
  }
}
