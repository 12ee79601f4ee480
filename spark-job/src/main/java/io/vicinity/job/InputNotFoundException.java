package io.vicinity.job;

/** The --input path does not exist; raised on the driver before any Spark work. */
public final class InputNotFoundException extends RuntimeException {
  public InputNotFoundException(String message) {
    super(message);
  }
}
