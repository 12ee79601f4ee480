package io.vicinity.udfs.segment;

/**
 * A per-pixel class index map, row-major [height, width], with optionally the softmax probability of each
 * pixel's chosen class.
 *
 * @param topProbability null unless asked for
 */
public record LabelMap(int width, int height, int[] labels, float[] topProbability) {

  public LabelMap {
    if ((long) width * height != labels.length || (topProbability != null && topProbability.length != labels.length)) {
      throw new IllegalArgumentException("a " + width + "x" + height + " label map cannot hold " + labels.length
          + " labels" + (topProbability == null ? "" : " and " + topProbability.length + " probabilities"));
    }
  }

  public int label(int x, int y) {
    return labels[y * width + x];
  }

  /** Pixels per class index, for {@code classes} classes. */
  public long[] counts(int classes) {
    long[] counts = new long[classes];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }
}
