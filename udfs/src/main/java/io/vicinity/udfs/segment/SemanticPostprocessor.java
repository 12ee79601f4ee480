package io.vicinity.udfs.segment;

import java.util.stream.IntStream;

/**
 * Hugging Face's {@code post_process_semantic_segmentation} with {@code target_sizes}: the logits resized
 * bilinearly (align_corners=False) to the image's own size, then the arg-max class per pixel (the first on
 * ties, as torch's argmax). Streams pixel by pixel, so the resized logits, classes times the image's pixels,
 * never exist at once. Rows run in parallel (every pixel is independent): at 512x512 with 150 classes one
 * thread needs about half a second, which would cap a GPU executor far below the model's rate.
 */
public final class SemanticPostprocessor {
  private SemanticPostprocessor() {}

  /**
   * @param logits [height, width, classes] scores at the network input's size
   * @param withScores also keep each pixel's softmax probability of the chosen class
   */
  public static LabelMap labelMap(float[] logits, int height, int width, int classes, int outHeight,
      int outWidth, boolean withScores) {
    BilinearResize.Axis ys = BilinearResize.Axis.of(height, outHeight);
    BilinearResize.Axis xs = BilinearResize.Axis.of(width, outWidth);
    int[] labels = new int[outHeight * outWidth];
    float[] scores = withScores ? new float[labels.length] : null;
    IntStream.range(0, outHeight).parallel().forEach(y -> {
      double[] pixel = new double[classes];
      for (int x = 0; x < outWidth; x++) {
        BilinearResize.interpolate(logits, width, classes, ys, y, xs, x, pixel);
        int best = 0;
        for (int k = 1; k < classes; k++) {
          if (pixel[k] > pixel[best]) {
            best = k;
          }
        }
        int o = y * outWidth + x;
        labels[o] = best;
        if (withScores) {
          scores[o] = (float) topProbability(pixel, pixel[best]);
        }
      }
    });
    return new LabelMap(outWidth, outHeight, labels, scores);
  }

  /** softmax(pixel)[best] = 1 / sum(exp(v - max)). */
  private static double topProbability(double[] pixel, double max) {
    double sum = 0;
    for (double v : pixel) {
      sum += Math.exp(v - max);
    }
    return 1 / sum;
  }
}
