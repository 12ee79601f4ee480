package io.vicinity.job;

import java.util.Locale;

/**
 * What happened to one input: the {@code outcome} column and the summary's counts. The library reports
 * failures as text, so the kind of a failure is read from the message's fixed phrases.
 */
public enum Outcome {
  OK,
  /** The file could not be read (vanished, permission, larger than --max-file-bytes). */
  READ_ERROR,
  /** The image header claims more pixels than --max-image-pixels: refused before decoding. */
  TOO_LARGE,
  /** Not an image, truncated or corrupt. */
  DECODE_ERROR,
  /** The forward pass or post-processing failed even for the image alone. */
  INFERENCE_ERROR;

  public String column() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The outcome of a result whose error is {@code error} (null: ok). */
  static Outcome ofError(String error) {
    if (error == null) {
      return OK;
    }
    if (error.contains("above the limit of")) {
      return TOO_LARGE;
    }
    if (error.contains("inference failed") || error.contains("postprocessing failed")) {
      return INFERENCE_ERROR;
    }
    return DECODE_ERROR;
  }
}
