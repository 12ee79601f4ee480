package io.vicinity.kernels;

import java.util.Optional;

/**
 * A way to create one kind of {@link Backend}, found with {@link java.util.ServiceLoader} (like DJL's
 * Engine). Registered in META-INF/services/io.vicinity.kernels.BackendProvider.
 */
public interface BackendProvider {
  BackendKind kind();

  /** Lower is tried first by {@link Backends#choose}. */
  int priority();

  /** Empty when this backend can run here; otherwise why not (no GPU, no driver, not built, ...). */
  Optional<String> unavailableReason();

  /** Creates a backend; only called when {@link #unavailableReason()} is empty. */
  Backend create(BackendOptions options);
}
