package io.vicinity.kernels;

/** Element-wise activation applied in a fused epilogue. */
public enum Activation {
  NONE,
  /** Exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)), as torch's default and Hugging Face's "gelu". */
  GELU,
  RELU
}
