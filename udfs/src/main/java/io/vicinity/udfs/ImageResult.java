package io.vicinity.udfs;

import java.util.List;

/**
 * The output for one input image. When {@code error} is non-null the image could not be processed
 * (the message names the file and the reason) and the numeric fields are null; width/height are null
 * when the image could not even be decoded.
 *
 * @param embedding the pooled output of the backbone
 * @param topK the k most probable labels (empty for models without a classifier)
 * @param logits the classifier's raw scores, only when asked for
 */
public record ImageResult(
    String path,
    Integer width,
    Integer height,
    float[] embedding,
    List<ScoredLabel> topK,
    float[] logits,
    String error) {

  public static ImageResult failed(String path, Integer width, Integer height, String error) {
    return new ImageResult(path, width, height, null, null, null, error);
  }

  public boolean ok() {
    return error == null;
  }
}
