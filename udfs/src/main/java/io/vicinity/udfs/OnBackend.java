package io.vicinity.udfs;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.BackendChoice;
import io.vicinity.kernels.BackendOptions;
import io.vicinity.kernels.Backends;
import io.vicinity.kernels.DType;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model together with the backend it was loaded onto. {@link #load} chooses the backend (logging why
 * others were refused) and closes it again if loading the model fails, so a bad model directory leaks
 * no device context or memory.
 */
public record OnBackend<M>(Backend backend, M model) {
  private static final Logger LOG = LoggerFactory.getLogger(OnBackend.class);

  /**
   * Creates the backend named by {@code choice} ("auto", "cpu", "cuda") on GPU {@code device}, computing in
   * {@code precision} ({@link Precision}; the CPU backend computes fp32 whatever is asked, which is logged).
   */
  public static <M> OnBackend<M> load(String choice, String precision, int device, Function<Backend, M> loader) {
    DType computeType = Precision.computeType(precision);
    Backend backend = Backends.create(BackendChoice.parse(choice),
        new BackendOptions(computeType, device, BackendOptions.DEFAULTS.threads()));
    if (backend.computeType() != computeType) {
      LOG.warn("precision {} asked, but {} computes in {}", precision, backend.describe(), backend.computeType());
    }
    try {
      return new OnBackend<>(backend, loader.apply(backend));
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }
}
