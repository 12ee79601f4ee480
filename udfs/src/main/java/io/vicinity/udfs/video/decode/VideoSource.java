package io.vicinity.udfs.video.decode;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Copies a video from storage the library cannot read itself (s3a://, hdfs://, ...) to a local file. The
 * library has no Hadoop dependency; the Spark job implements this with Hadoop's FileSystem.
 */
@FunctionalInterface
public interface VideoSource {
  /** Copies the whole object at {@code path} to {@code target} (an existing empty file, to overwrite). */
  void copyTo(String path, Path target) throws IOException;
}
