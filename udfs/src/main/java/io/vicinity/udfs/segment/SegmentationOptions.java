package io.vicinity.udfs.segment;

/**
 * What the caller wants from {@link SegmentationInference}.
 *
 * @param batchSize images per forward pass
 * @param backend which backend to run on ("auto", "cpu", "cuda")
 * @param maskScores also return each pixel's top-1 probability as a PNG (the job's --mask-scores)
 */
public record SegmentationOptions(int batchSize, String backend, boolean maskScores) {
  public static final SegmentationOptions DEFAULTS = new SegmentationOptions(8, "auto", false);

  public SegmentationOptions {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
  }
}
