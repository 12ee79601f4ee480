package io.vicinity.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NeighborhoodWindowTest {

  /**
   * Brute force, written without the spec's formula: list the query's dilation group, consider every run of
   * k consecutive members, and keep the run whose middle member is closest to the query (interior queries
   * get a centred window, border queries the run pushed against the border).
   */
  static int[] bruteForceNeighbours(int length, int k, int d, int query) {
    List<Integer> group = new ArrayList<>();
    for (int pos = 0; pos < length; pos++) {
      if (pos % d == query % d) {
        group.add(pos);
      }
    }
    int best = -1;
    int bestDistance = Integer.MAX_VALUE;
    for (int first = 0; first + k <= group.size(); first++) {
      int distance = Math.abs(group.get(first + k / 2) - query);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = first;
      }
    }
    int[] keys = new int[k];
    for (int t = 0; t < k; t++) {
      keys[t] = group.get(best + t);
    }
    return keys;
  }

  private static int[] neighbours(int length, int k, int d, int i) {
    int start = NeighborhoodWindow.start(length, k, d, i);
    int[] keys = new int[k];
    for (int t = 0; t < k; t++) {
      keys[t] = start + t * d;
    }
    return keys;
  }

  @Test
  void workedExamplesOfTheSpec() {
    assertArrayEquals(new int[] {0, 2, 4}, neighbours(10, 3, 2, 0));
    assertEquals(2, NeighborhoodWindow.biasStart(10, 3, 2, 0));
    assertArrayEquals(new int[] {4, 6, 8}, neighbours(10, 3, 2, 8));
    assertArrayEquals(new int[] {5, 7, 9}, neighbours(10, 3, 2, 9));
    assertEquals(0, NeighborhoodWindow.biasStart(10, 3, 2, 9));
    assertArrayEquals(new int[] {6, 8, 10}, neighbours(11, 3, 2, 10));
    for (int i = 0; i < 7; i++) {
      assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, neighbours(7, 7, 1, i));
    }
    assertEquals(6, NeighborhoodWindow.biasStart(7, 7, 1, 0));
    assertEquals(0, NeighborhoodWindow.biasStart(7, 7, 1, 6));
  }

  @Test
  void matchesBruteForceAndInvariantsForManyAxes() {
    for (int k : new int[] {1, 3, 5, 7, 9, 13}) {
      for (int d = 1; d <= 5; d++) {
        for (int length = k * d; length <= k * d + 2 * d + 3; length++) {
          for (int i = 0; i < length; i++) {
            String where = "L=" + length + " k=" + k + " d=" + d + " i=" + i;
            int[] keys = neighbours(length, k, d, i);
            assertArrayEquals(bruteForceNeighbours(length, k, d, i), keys, where);
            Set<Integer> distinct = new HashSet<>();
            int pb = NeighborhoodWindow.biasStart(length, k, d, i);
            for (int t = 0; t < k; t++) {
              assertTrue(keys[t] >= 0 && keys[t] < length, where);
              assertEquals(i % d, keys[t] % d, "neighbour outside the dilation group: " + where);
              distinct.add(keys[t]);
              // The spec's equivalent form of the bias index, within the [0, 2k-2] table.
              assertEquals((k - 1) + (keys[t] - i) / d, pb + t, where);
              assertTrue(pb + t >= 0 && pb + t <= 2 * k - 2, where);
            }
            assertEquals(k, distinct.size(), "neighbours must be distinct: " + where);
          }
        }
      }
    }
  }

  @Test
  void fitsRequiresAnOddKernelThatFitsTheAxis() {
    assertTrue(NeighborhoodWindow.fits(56, 7, 8));
    assertFalse(NeighborhoodWindow.fits(55, 7, 8));
    assertFalse(NeighborhoodWindow.fits(10, 4, 1));
    assertFalse(NeighborhoodWindow.fits(10, 3, 0));
    assertEquals(4, NeighborhoodWindow.groupLength(11, 3, 1));
    assertEquals(3, NeighborhoodWindow.groupLength(11, 3, 2));
  }
}
