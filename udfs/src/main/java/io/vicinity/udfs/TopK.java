package io.vicinity.udfs;

import ai.djl.modality.Classifications;
import java.util.ArrayList;
import java.util.List;

/** Logits -> the k most probable labels with softmax probabilities, through DJL's Classifications. */
public final class TopK {
  private TopK() {}

  /** Empty when there are no logits or k is 0; probabilities are computed in double. */
  public static List<ScoredLabel> of(List<String> labels, float[] logits, int k) {
    if (logits == null || k == 0) {
      return List.of();
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    List<Double> probs = new ArrayList<>(logits.length);
    for (float v : logits) {
      double e = Math.exp(v - max);
      probs.add(e);
      sum += e;
    }
    for (int i = 0; i < probs.size(); i++) {
      probs.set(i, probs.get(i) / sum);
    }
    List<ScoredLabel> out = new ArrayList<>();
    for (Classifications.Classification c : new Classifications(labels, probs).topK(Math.min(k, logits.length))) {
      out.add(new ScoredLabel(c.getClassName(), (float) c.getProbability()));
    }
    return out;
  }
}
