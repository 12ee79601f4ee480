package io.vicinity.kernels.cuda;

/** The result of the availability checks: a status and one line saying why. */
public record CudaAvailability(CudaStatus status, String reason) {
  public boolean available() {
    return status == CudaStatus.AVAILABLE;
  }

  @Override
  public String toString() {
    return status + ": " + reason;
  }
}
