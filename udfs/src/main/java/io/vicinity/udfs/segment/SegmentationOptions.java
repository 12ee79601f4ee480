package io.vicinity.udfs.segment;

import io.vicinity.udfs.Precision;

/**
 * What the caller wants from {@link SegmentationInference}.
 *
 * @param batchSize images per forward pass
 * @param backend which backend to run on ("auto", "cpu", "cuda")
 * @param maskScores also return each pixel's top-1 probability as a PNG (the job's --mask-scores)
 * @param precision the GPU's activation dtype, "fp32" (default) or "bf16": see {@link Precision}
 */
public record SegmentationOptions(int batchSize, String backend, boolean maskScores, String precision) {
  public static final SegmentationOptions DEFAULTS = new SegmentationOptions(8, "auto", false);

  public SegmentationOptions {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
    Precision.computeType(precision); // refuses an unknown name here, not at load
  }

  /** Full precision (fp32). */
  public SegmentationOptions(int batchSize, String backend, boolean maskScores) {
    this(batchSize, backend, maskScores, Precision.DEFAULT);
  }
}
