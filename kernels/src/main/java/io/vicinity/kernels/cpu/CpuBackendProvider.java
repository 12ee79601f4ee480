package io.vicinity.kernels.cpu;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.BackendKind;
import io.vicinity.kernels.BackendOptions;
import io.vicinity.kernels.BackendProvider;
import java.util.Optional;

/** The pure-Java backend: always available, tried after the GPU. */
public final class CpuBackendProvider implements BackendProvider {
  @Override
  public BackendKind kind() {
    return BackendKind.CPU;
  }

  @Override
  public int priority() {
    return 100;
  }

  @Override
  public Optional<String> unavailableReason() {
    return Optional.empty();
  }

  @Override
  public Backend create(BackendOptions options) {
    return options.threads() > 0 ? new CpuBackend(options.threads()) : new CpuBackend();
  }
}
