package io.vicinity.udfs.nn;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Backend;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.hf.HfModelDir;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way models upload their weights: everything a model builds goes into one arena it owns; the
 * arena is sealed when the model is complete, rolled back if building fails half way (so a bad
 * checkpoint leaks no device memory), and checkpoint tensors the model never read are logged.
 */
public final class WeightArena {
  private static final Logger LOG = LoggerFactory.getLogger(WeightArena.class);

  private WeightArena() {}

  /**
   * Builds a model inside a new weight arena on {@code backend}. {@code build} receives the arena (the
   * model keeps it and closes it with itself). Failures become {@link ModelLoadException}s naming the
   * directory.
   */
  public static <T> T build(HfModelDir dir, Backend backend, String architecture, Function<Arena, T> build) {
    Arena arena = backend.openArena("weights:" + dir.name());
    try {
      T model = build.apply(arena);
      arena.seal();
      Set<String> unused = dir.weights().unusedNames();
      if (!unused.isEmpty()) {
        LOG.warn("{}: {} tensors in the checkpoint are not used by {}: {}", dir.dir(), unused.size(),
            architecture, unused.size() > 8 ? List.copyOf(unused).subList(0, 8) + "..." : unused);
      }
      return model;
    } catch (RuntimeException e) {
      arena.close();
      throw e instanceof ModelLoadException ? e : new ModelLoadException(dir.dir() + ": " + e.getMessage(), e);
    }
  }
}
