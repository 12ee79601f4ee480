package io.vicinity.kernels;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks a backend by trying each provider's availability check in priority order (CUDA before CPU) and
 * logging why one was refused, as NATTEN's backend chooser does. Asking for a specific backend that
 * cannot run is an error carrying the reason.
 */
public final class Backends {
  private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

  private Backends() {}

  /** The providers on the classpath, highest priority first. */
  public static List<BackendProvider> providers() {
    List<BackendProvider> all = new ArrayList<>();
    ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(all::add);
    all.sort(Comparator.comparingInt(BackendProvider::priority));
    return all;
  }

  /** The outcome of a choice: the provider to use, and the refusals on the way, for logs. */
  public record Decision(BackendProvider provider, List<String> refusals) {}

  public static Decision decide(BackendChoice choice) {
    List<String> refusals = new ArrayList<>();
    for (BackendProvider p : providers()) {
      if (choice != BackendChoice.AUTO && !p.kind().name().equals(choice.name())) {
        continue;
      }
      var reason = p.unavailableReason();
      if (reason.isEmpty()) {
        return new Decision(p, refusals);
      }
      refusals.add(p.kind() + ": " + reason.get());
    }
    if (choice == BackendChoice.AUTO) {
      throw new IllegalStateException("no backend can run here: " + refusals);
    }
    throw new IllegalStateException(
        "backend " + choice.name().toLowerCase() + " was requested but cannot run: "
            + (refusals.isEmpty() ? "it is not on the classpath" : String.join("; ", refusals)));
  }

  /** Decides, logs the decision with the reasons for refusals, and creates the backend. */
  public static Backend create(BackendChoice choice, BackendOptions options) {
    Decision d = decide(choice);
    for (String r : d.refusals()) {
      LOG.info("backend refused: {}", r);
    }
    Backend b = d.provider().create(options);
    LOG.info("backend chosen: {}", b.describe());
    return b;
  }
}
