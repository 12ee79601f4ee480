package io.vicinity.kernels.cuda;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.BackendKind;
import io.vicinity.kernels.BackendOptions;
import io.vicinity.kernels.BackendProvider;
import java.util.Optional;

/** The CUDA backend for {@link io.vicinity.kernels.Backends#choose}: tried before the CPU when it can run. */
public final class CudaBackendProvider implements BackendProvider {
  @Override
  public BackendKind kind() {
    return BackendKind.CUDA;
  }

  @Override
  public int priority() {
    return 10;
  }

  @Override
  public Optional<String> unavailableReason() {
    CudaAvailability a = CudaBackend.availability();
    return a.available() ? Optional.empty() : Optional.of(a.toString());
  }

  @Override
  public Backend create(BackendOptions options) {
    return CudaBackend.create(options.device(), options.computeType());
  }
}
