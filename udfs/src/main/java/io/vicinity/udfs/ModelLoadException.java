package io.vicinity.udfs;

/**
 * A model directory that cannot be used: missing file or tensor, wrong shape, unsupported architecture,
 * corrupt data. Thrown at load time, before any inference; the message names the directory and the
 * problem.
 */
public class ModelLoadException extends RuntimeException {
  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
