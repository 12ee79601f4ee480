package io.vicinity.job;

/** A command line the job cannot run with; the message is one line naming the option and value. */
public final class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message);
  }
}
