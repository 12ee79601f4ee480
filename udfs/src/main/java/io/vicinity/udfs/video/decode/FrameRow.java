package io.vicinity.udfs.video.decode;

/**
 * One output row of an image task (classify, segment) run on a video's sampled frames. A video that cannot
 * be decoded gives one row with {@code frameIndex}, {@code timestampMs} and {@code result} null and
 * {@code error} set; a frame that fails on its own carries the error inside {@code result}.
 *
 * @param frameIndex the source frame's position in the video, from 0
 * @param timestampMs the frame's presentation time relative to the start of the video stream
 * @param result what the image model gave for the frame (e.g. ImageResult, SegmentationResult)
 */
public record FrameRow<R>(String path, Integer frameIndex, Long timestampMs, R result, String error) {

  public static <R> FrameRow<R> failedVideo(String path, String error) {
    return new FrameRow<>(path, null, null, null, error);
  }

  public boolean ok() {
    return error == null;
  }
}
