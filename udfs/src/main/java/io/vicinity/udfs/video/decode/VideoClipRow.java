package io.vicinity.udfs.video.decode;

import io.vicinity.udfs.ScoredLabel;
import java.util.List;

/**
 * One output row of the video task: a clip, or a whole video that failed. A video that cannot be decoded
 * (truncated, not a video, unsupported codec, empty) gives exactly one row with {@code clipIndex} and every
 * clip field null and {@code error} set; a clip that fails on its own (e.g. inference) keeps its clip fields
 * and sets {@code error}.
 *
 * @param startMs timestamp of the clip's first frame, relative to the start of the video stream
 * @param endMs end of the clip's last real frame (its timestamp plus its duration)
 * @param frames how many real (decoded, not padding) frames the clip holds
 * @param topK the most probable labels; null when the checkpoint has no classifier
 * @param logits the classifier's raw scores, only when asked for
 * @param attention the attention the encoder ran ("dense", "radial(...)", "na3d(...)")
 * @param padded the video ended before the clip was full and its last frame was repeated
 * @param positionsExtended the clip was longer than the checkpoint's num_frames
 * @param attentionDensity fraction of (query, key) pairs computed, averaged over layers
 */
public record VideoClipRow(
    String path,
    Integer clipIndex,
    Long startMs,
    Long endMs,
    Integer frames,
    float[] embedding,
    List<ScoredLabel> topK,
    float[] logits,
    String attention,
    Boolean padded,
    Boolean positionsExtended,
    Double attentionDensity,
    String error) {

  /** The single row of a video that could not be decoded. */
  public static VideoClipRow failedVideo(String path, String attention, String error) {
    return new VideoClipRow(path, null, null, null, null, null, null, null, attention, null, null, null, error);
  }

  public boolean ok() {
    return error == null;
  }
}
