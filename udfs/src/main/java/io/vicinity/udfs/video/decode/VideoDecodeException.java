package io.vicinity.udfs.video.decode;

/**
 * A video that cannot be decoded completely: not a video, no video stream, unsupported codec, truncated,
 * corrupt or empty. The message names the file and the reason, ready for an error row.
 */
public final class VideoDecodeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public VideoDecodeException(String name, String reason) {
    super(name + ": " + reason);
  }

  public VideoDecodeException(String name, String reason, Throwable cause) {
    super(name + ": " + reason, cause);
  }
}
