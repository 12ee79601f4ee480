package io.vicinity.kernels;

/**
 * What {@link Backend#classMaps} returns, on the host: per image, the class of each pixel (row-major) and, when
 * asked for, that class's softmax probability ({@code probabilities} is null otherwise).
 */
public record ClassMaps(int[][] classes, float[][] probabilities) {
  static final String OP = "classMaps";

  /** The argument checks every backend makes: scores [B, h, w, C], one positive output size per image. */
  public static void requireArguments(int[] scores, int midH, int midW, int[] outH, int[] outW) {
    Shapes.require(scores.length == 4 && scores[1] > 0 && scores[2] > 0 && scores[3] > 0, OP,
        "need scores [B, h, w, C] with h, w, C > 0, got", scores);
    Shapes.require(midH > 0 && midW > 0, OP, "the middle size must be positive, got " + midH + "x" + midW);
    Shapes.require(outH.length == scores[0] && outW.length == scores[0], OP, "need one output size per image: "
        + outH.length + " heights and " + outW.length + " widths for scores", scores);
    for (int i = 0; i < outH.length; i++) {
      Shapes.require(outH[i] > 0 && outW[i] > 0 && (long) outH[i] * outW[i] <= Integer.MAX_VALUE - 8, OP,
          "image " + i + ": output size " + outH[i] + "x" + outW[i] + " is empty or too large for one array");
    }
  }
}
