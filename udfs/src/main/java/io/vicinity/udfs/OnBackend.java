package io.vicinity.udfs;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.BackendChoice;
import io.vicinity.kernels.BackendOptions;
import io.vicinity.kernels.Backends;
import java.util.function.Function;

/**
 * A model together with the backend it was loaded onto. {@link #load} chooses the backend (logging why
 * others were refused) and closes it again if loading the model fails, so a bad model directory leaks
 * no device context or memory.
 */
public record OnBackend<M>(Backend backend, M model) {

  /** Creates the backend named by {@code choice} ("auto", "cpu", "cuda") on GPU {@code device}. */
  public static <M> OnBackend<M> load(String choice, int device, Function<Backend, M> loader) {
    Backend backend = Backends.create(BackendChoice.parse(choice), BackendOptions.DEFAULTS.withDevice(device));
    try {
      return new OnBackend<>(backend, loader.apply(backend));
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }
}
