package io.vicinity.udfs;

/**
 * What the caller wants from {@link ImageInference} (and the segmentation and video entry points).
 *
 * @param topK number of labels to return per image (0: none)
 * @param emitLogits also return the raw classifier scores
 * @param batchSize images per forward pass
 * @param backend which backend to run on ("auto", "cpu", "cuda")
 * @param precision the GPU's activation dtype, "fp32" (default) or "bf16": see {@link Precision}
 */
public record InferenceOptions(int topK, boolean emitLogits, int batchSize, String backend, String precision) {
  public static final InferenceOptions DEFAULTS = new InferenceOptions(5, false, 16, "auto");

  public InferenceOptions {
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0, got " + topK);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    Precision.computeType(precision); // refuses an unknown name here, not at load
  }

  /** Full precision (fp32). */
  public InferenceOptions(int topK, boolean emitLogits, int batchSize, String backend) {
    this(topK, emitLogits, batchSize, backend, Precision.DEFAULT);
  }
}
