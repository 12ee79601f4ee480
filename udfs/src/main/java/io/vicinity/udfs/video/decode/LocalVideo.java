package io.vicinity.udfs.video.decode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A video as a local file FFmpeg can seek in (MP4 often keeps its index at the end). Local paths are used
 * in place; bytes, streams and remote paths are copied to a temporary file that {@link #close} deletes.
 */
public final class LocalVideo implements AutoCloseable {
  private static final Pattern EXTENSION = Pattern.compile("[A-Za-z0-9]{1,8}");

  private final Path file;
  private final boolean temporary;
  private boolean closed;

  private LocalVideo(Path file, boolean temporary) {
    this.file = file;
    this.temporary = temporary;
  }

  /** An existing local file, used in place; {@link #close} leaves it alone. */
  public static LocalVideo of(Path file) {
    return new LocalVideo(file, false);
  }

  /** {@code bytes} in a temporary file under {@code tmpDir} (null: the JVM's default temp directory). */
  public static LocalVideo copyOf(String name, byte[] bytes, Path tmpDir) {
    Path tmp = createTemp(name, tmpDir);
    try {
      Files.write(tmp, bytes);
      return new LocalVideo(tmp, true);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException(name + ": cannot write a temporary copy: " + e.getMessage(), e);
    }
  }

  /** The rest of {@code in} in a temporary file; the stream is not closed. */
  public static LocalVideo copyOf(String name, InputStream in, Path tmpDir) {
    Path tmp = createTemp(name, tmpDir);
    try {
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      return new LocalVideo(tmp, true);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException(name + ": cannot copy to a temporary file: " + e.getMessage(), e);
    }
  }

  /**
   * {@code path} as a local file: a plain path or file: URI is used in place; anything else (s3a://, hdfs://)
   * is copied through {@code source} into a temporary file.
   */
  public static LocalVideo fetch(String path, VideoSource source, Path tmpDir) {
    Path local = localPath(path);
    if (local != null) {
      return of(local);
    }
    if (source == null) {
      throw new IllegalArgumentException(path + ": not a local path and no VideoSource to copy it with");
    }
    Path tmp = createTemp(path, tmpDir);
    try {
      source.copyTo(path, tmp);
      return new LocalVideo(tmp, true);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException(path + ": cannot copy to a local temporary file: " + e,
          e instanceof IOException io ? io : new IOException(e));
    }
  }

  /** The local file for a path without a scheme or with file:, else null. */
  static Path localPath(String path) {
    int colon = path.indexOf(':');
    int slash = path.indexOf('/');
    boolean hasScheme = colon > 1 && (slash < 0 || colon < slash);
    if (!hasScheme) {
      return Path.of(path);
    }
    if (path.regionMatches(true, 0, "file:", 0, 5)) {
      return Path.of(URI.create(path));
    }
    return null;
  }

  public Path file() {
    if (closed) {
      throw new IllegalStateException(file + ": closed");
    }
    return file;
  }

  /** True when {@link #close} deletes the file. */
  public boolean temporary() {
    return temporary;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (temporary) {
      deleteQuietly(file);
    }
  }

  private static Path createTemp(String name, Path tmpDir) {
    // Keep the extension: FFmpeg uses it as a hint for formats without a clear signature.
    String base = name.substring(name.lastIndexOf('/') + 1);
    int dot = base.lastIndexOf('.');
    String ext = dot >= 0 ? base.substring(dot + 1) : "";
    String suffix = EXTENSION.matcher(ext).matches() ? "." + ext.toLowerCase(Locale.ROOT) : ".video";
    try {
      return tmpDir == null ? Files.createTempFile("vicinity-video-", suffix)
          : Files.createTempFile(tmpDir, "vicinity-video-", suffix);
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": cannot create a temporary file: " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // Nothing more to do; the temp directory is the OS's to clean.
    }
  }
}
