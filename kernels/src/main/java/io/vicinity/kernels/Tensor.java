package io.vicinity.kernels;

/**
 * An n-dimensional array owned by one {@link Backend}. Feature maps are channels-last (NHWC, or
 * [batch, tokens..., channels]); weights keep their PyTorch layout and the backend may repack them.
 *
 * <p>Every tensor has exactly one owner: the innermost {@link Arena} open on the creating thread, or the
 * caller when none is open. {@link #close()} is idempotent.
 */
public interface Tensor extends AutoCloseable {
  int[] shape();

  DType dtype();

  Backend backend();

  default int dim(int axis) {
    int[] s = shape();
    return s[axis < 0 ? s.length + axis : axis];
  }

  default int rank() {
    return shape().length;
  }

  default long numel() {
    return Shapes.numel(shape());
  }

  boolean isClosed();

  @Override
  void close();
}
