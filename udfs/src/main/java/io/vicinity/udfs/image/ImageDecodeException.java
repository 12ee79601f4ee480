package io.vicinity.udfs.image;

/** An image that cannot be decoded; the message is {@code "<path>: <reason>"}. */
public class ImageDecodeException extends RuntimeException {

  public ImageDecodeException(String path, String reason) {
    super(path + ": " + reason);
  }

  public ImageDecodeException(String path, String reason, Throwable cause) {
    super(path + ": " + reason, cause);
  }
}
