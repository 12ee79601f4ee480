package io.vicinity.kernels;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Shared bookkeeping for backend tensors: shape, dtype, idempotent close, and registration with the
 * creating thread's innermost {@link Arena}. Subclasses free their storage in {@link #release()}.
 */
public abstract class AbstractTensor implements Tensor {
  private final int[] shape;
  private final DType dtype;
  private final AtomicBoolean closed = new AtomicBoolean();
  ArenaStack.Scope owner;

  protected AbstractTensor(int[] shape, DType dtype) {
    this.shape = shape.clone();
    this.dtype = dtype;
    ArenaStack.adopt(this);
  }

  @Override
  public final int[] shape() {
    return shape.clone();
  }

  @Override
  public final DType dtype() {
    return dtype;
  }

  @Override
  public final boolean isClosed() {
    return closed.get();
  }

  /** Throws if the tensor was already freed: a use-after-close is always a bug in the caller. */
  protected final void checkOpen(String op) {
    if (closed.get()) {
      throw new IllegalStateException(op + ": tensor " + Shapes.str(shape) + " was already closed");
    }
  }

  @Override
  public final void close() {
    if (closed.compareAndSet(false, true)) {
      ArenaStack.forget(this);
      release();
    }
  }

  /** Frees the storage; called exactly once. */
  protected abstract void release();

  @Override
  public String toString() {
    return getClass().getSimpleName() + Shapes.str(shape) + dtype;
  }
}
