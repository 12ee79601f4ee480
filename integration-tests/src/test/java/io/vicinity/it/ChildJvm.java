package io.vicinity.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A JVM started by a test (S3 server, Spark master or worker, spark-submit), with stdout and stderr in
 * one log file under target/it-logs. {@link #close} kills it and everything it started (a worker's
 * executors), so a failed test leaves no process behind.
 */
final class ChildJvm implements AutoCloseable {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final Duration POLL = Duration.ofMillis(50);
  /** Every child still running, killed by a shutdown hook if the test JVM itself is stopped. */
  private static final java.util.Set<ChildJvm> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(
        () -> List.copyOf(RUNNING).forEach(ChildJvm::kill), "vicinity-it-kill-children"));
  }

  private final String name;
  private final Path log;
  private final Process process;

  private ChildJvm(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  /** Starts {@code command}; {@code name} becomes the log file's name (numbered, so reruns keep theirs). */
  static ChildJvm start(String name, List<String> command, Map<String, String> env) {
    Path log = ItEnv.logDir().resolve(String.format("%02d-%s.log", SEQUENCE.incrementAndGet(), name));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().putAll(env);
    try {
      Files.writeString(log, "");
      ChildJvm child = new ChildJvm(name, log, builder.start());
      RUNNING.add(child);
      return child;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
  }

  Process process() {
    return process;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Everything the process has printed so far. */
  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until the output contains {@code text}; fails (with the log's tail) on timeout or exit. */
  void awaitOutput(String text, Duration timeout) {
    awaitCondition("'" + text + "' in its output", () -> output().contains(text), timeout);
  }

  /** Waits until the output matches {@code pattern} (anywhere, across lines). */
  void awaitOutputMatching(java.util.regex.Pattern pattern, Duration timeout) {
    awaitCondition("a match of /" + pattern + "/ in its output",
        () -> pattern.matcher(output()).find(), timeout);
  }

  /** Waits until the output after its first {@code from} characters contains {@code text}. */
  void awaitOutputAfter(int from, String text, Duration timeout) {
    awaitCondition("'" + text + "' in its output after character " + from,
        () -> output().indexOf(text, from) >= 0, timeout);
  }

  /** Waits for {@code condition} while this process lives; fails with the log's tail otherwise. */
  void awaitCondition(String what, BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (!process.isAlive()) {
        if (condition.getAsBoolean()) {
          return;
        }
        fail(name + " exited (" + process.exitValue() + ") before " + what + "; log " + log + ":\n"
            + tail());
      }
      if (System.nanoTime() > deadline) {
        fail(name + ": no " + what + " within " + timeout + "; log " + log + ":\n" + tail());
      }
      pause();
    }
  }

  /** The exit code; fails if the process runs longer than {@code timeout}. */
  int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        fail(name + " still running after " + timeout + "; log " + log + ":\n" + tail());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return process.exitValue();
  }

  /** Kills the process tree at once (children first: a worker's executors must die with it). */
  void kill() {
    ProcessHandle handle = process.toHandle();
    List<ProcessHandle> descendants = handle.descendants().toList();
    descendants.forEach(ProcessHandle::destroyForcibly);
    handle.destroyForcibly();
    for (ProcessHandle child : descendants) {
      child.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> null).join();
    }
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    RUNNING.remove(this);
  }

  @Override
  public void close() {
    kill();
  }

  String tail() {
    String text = output();
    return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
  }

  static void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
