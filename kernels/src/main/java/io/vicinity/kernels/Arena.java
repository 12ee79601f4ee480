package io.vicinity.kernels;

/**
 * A named ownership scope for tensors (weights -> model, temporaries -> one forward pass). Tensors
 * created on the opening thread while the arena is the innermost open one belong to it and are freed
 * when it closes; {@link #detach} hands one to the enclosing scope (or to the caller) instead.
 * Arenas nest and must be closed in reverse order of opening; close() is idempotent.
 */
public interface Arena extends AutoCloseable {
  String name();

  /** Moves {@code t} out of this arena to the enclosing one (or to the caller if none); returns t. */
  Tensor detach(Tensor t);

  /**
   * Stops collecting: the arena leaves the thread's stack (it must be the innermost) but keeps owning
   * its tensors until {@link #close()}, which may then happen on any thread. Used for model weights.
   */
  Arena seal();

  /** Number of live tensors owned here (for leak reports and tests). */
  int liveTensors();

  @Override
  void close();
}
