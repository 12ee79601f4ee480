package io.vicinity.udfs.video;

import io.vicinity.udfs.ScoredLabel;
import java.util.List;

/**
 * The output for one clip. When {@code error} is non-null the clip could not be processed and the numeric
 * fields are null.
 *
 * @param embedding the clip embedding (the classifier's input, or the token mean of a bare encoder)
 * @param topK the k most probable labels (empty without a classifier)
 * @param logits the classifier's raw scores, only when asked for
 * @param positionsExtended the clip was longer than the checkpoint's num_frames, so the sinusoid position
 *     table was extended beyond what the model was trained on
 * @param attentionDensity fraction of (query, key) pairs computed, averaged over layers (1 for dense)
 */
public record ClipResult(String id, float[] embedding, List<ScoredLabel> topK, float[] logits,
    boolean positionsExtended, double attentionDensity, String error) {

  public static ClipResult failed(String id, String error) {
    return new ClipResult(id, null, null, null, false, Double.NaN, error);
  }

  public boolean ok() {
    return error == null;
  }
}
