package io.vicinity.kernels;

/**
 * What a matrix product does to its result before writing it:
 * {@code out = residual + scale * act(x W^T + bias)}. Each part is optional (null / NONE).
 *
 * @param activation applied after the bias
 * @param scale per-output-channel multiplier ([out]), e.g. DiNAT's layer scale
 * @param residual tensor of the output's shape added last
 */
public record Epilogue(Activation activation, Tensor scale, Tensor residual) {
  public static final Epilogue NONE = new Epilogue(Activation.NONE, null, null);
  public static final Epilogue GELU = new Epilogue(Activation.GELU, null, null);

  public static Epilogue residual(Tensor residual, Tensor scaleOrNull) {
    return new Epilogue(Activation.NONE, scaleOrNull, residual);
  }

  public Epilogue {
    if (activation == null) {
      activation = Activation.NONE;
    }
  }
}
