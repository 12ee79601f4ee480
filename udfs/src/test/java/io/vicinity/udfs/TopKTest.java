package io.vicinity.udfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** TopK against a plain reference: softmax over every class in double, then a stable sort by probability. */
class TopKTest {

  @Test
  void matchesSoftmaxThenSortOnRandomLogitsWithTies() {
    Random rnd = new Random(System.nanoTime());
    for (int trial = 0; trial < 200; trial++) {
      int classes = 1 + rnd.nextInt(1200);
      float[] logits = new float[classes];
      for (int i = 0; i < classes; i++) {
        // every fourth trial draws from 5 values, so ties are common
        logits[i] = trial % 4 == 0 ? rnd.nextInt(5) : (float) (rnd.nextGaussian() * 4);
      }
      List<String> labels = IntStream.range(0, classes).mapToObj(i -> "c" + i).toList();
      int k = 1 + rnd.nextInt(8);
      assertEquals(reference(labels, logits, k), TopK.of(labels, logits, k), "classes " + classes + " k " + k);
    }
  }

  @Test
  void nothingWithoutLogitsOrK() {
    assertEquals(List.of(), TopK.of(List.of("a"), null, 3));
    assertEquals(List.of(), TopK.of(List.of("a"), new float[] {1f}, 0));
  }

  private static List<ScoredLabel> reference(List<String> labels, float[] logits, int k) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = Math.exp(logits[i] - max);
      sum += p[i];
    }
    List<Integer> order = new ArrayList<>(IntStream.range(0, p.length).boxed().toList());
    order.sort(Comparator.comparingDouble((Integer i) -> -p[i])); // List.sort is stable
    List<ScoredLabel> out = new ArrayList<>();
    for (int i : order.subList(0, Math.min(k, p.length))) {
      out.add(new ScoredLabel(labels.get(i), (float) (p[i] / sum)));
    }
    return out;
  }
}
