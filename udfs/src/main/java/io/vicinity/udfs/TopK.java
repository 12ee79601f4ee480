package io.vicinity.udfs;

import ai.djl.modality.Classifications;
import java.util.ArrayList;
import java.util.List;

/** Logits -> the k most probable labels with softmax probabilities, through DJL's Classifications. */
public final class TopK {
  private TopK() {}

  /**
   * Empty when there are no logits or k is 0; probabilities are computed in double. The k best are picked
   * here in one pass over primitive arrays and only they go to DJL: handing it every class (boxed, then
   * sorted) cost ~60 us per image at 1,000 classes, on the thread that feeds the GPU.
   */
  public static List<ScoredLabel> of(List<String> labels, float[] logits, int k) {
    if (logits == null || k == 0) {
      return List.of();
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp(v - max);
    }
    int n = Math.min(k, logits.length);
    int[] best = new int[n]; // indices, most probable first; ties keep the lower index first
    int filled = 0;
    for (int i = 0; i < logits.length; i++) {
      if (filled == n && logits[i] <= logits[best[n - 1]]) {
        continue;
      }
      int at = filled < n ? filled++ : n - 1;
      while (at > 0 && logits[best[at - 1]] < logits[i]) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = i;
    }
    List<String> names = new ArrayList<>(n);
    List<Double> probs = new ArrayList<>(n);
    for (int i : best) {
      names.add(labels.get(i));
      probs.add(Math.exp(logits[i] - max) / sum);
    }
    List<ScoredLabel> out = new ArrayList<>(n);
    for (Classifications.Classification c : new Classifications(names, probs).topK(n)) {
      out.add(new ScoredLabel(c.getClassName(), (float) c.getProbability()));
    }
    return out;
  }
}
