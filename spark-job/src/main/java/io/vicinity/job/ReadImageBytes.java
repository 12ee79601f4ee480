package io.vicinity.job;

import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Partition function: reads each listed file's bytes through Hadoop's FileSystem. A file that cannot be
 * read (vanished, permission, larger than --max-file-bytes) becomes a row with {@code read_error} set
 * instead of failing the task; the size is checked before any byte is read. Lazy: one file's bytes at
 * a time are read as the next stage pulls rows. Videos are not read here: the task copies them to a local
 * file through Hadoop (FFmpeg needs a seekable file), so only their existence is checked; --max-file-bytes
 * applies to images only.
 */
final class ReadImageBytes implements MapPartitionsFunction<Row, Row> {

  /** The listing: the path as the user gave it, the URI to open, the modification time (ms, or -1). */
  static final StructType LISTED =
      new StructType()
          .add("path", DataTypes.StringType, false)
          .add("location", DataTypes.StringType, false)
          .add("modified", DataTypes.LongType, false);

  /** The read files: bytes (null for a video), or why there are none, and the URI to open. */
  static final StructType ENCODED =
      new StructType()
          .add("path", DataTypes.StringType, false)
          .add("modified", DataTypes.LongType, false)
          .add("bytes", DataTypes.BinaryType, true)
          .add("read_error", DataTypes.StringType, true)
          .add("location", DataTypes.StringType, false);

  static final int PATH_INDEX = 0;
  static final int MODIFIED_INDEX = 1;
  static final int BYTES_INDEX = 2;
  static final int ERROR_INDEX = 3;
  static final int LOCATION_INDEX = 4;

  /** Largest file a Java byte array can hold. */
  static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

  private final long maxFileBytes;
  private final int debugDelayMillis;

  /** {@code debugDelayMillis}: --debug-delay-per-image-ms, a sleep before each read (fault-injection tests). */
  ReadImageBytes(long maxFileBytes, int debugDelayMillis) {
    this.maxFileBytes = Math.min(maxFileBytes, MAX_ARRAY_BYTES);
    this.debugDelayMillis = debugDelayMillis;
  }

  static List<Row> listedRows(InputListing listing) {
    return listing.images().stream()
        .map(file -> RowFactory.create(file.path(), file.location(), file.modifiedMillis()))
        .toList();
  }

  @Override
  public Iterator<Row> call(Iterator<Row> listed) {
    Configuration hadoopConf = HadoopConfs.from(SparkEnv.get().conf());
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return listed.hasNext();
      }

      @Override
      public Row next() {
        Row file = listed.next();
        if (debugDelayMillis > 0) {
          try {
            Thread.sleep(debugDelayMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted (task killed)", e);
          }
        }
        return read(file.getString(0), file.getString(1), file.getLong(2), hadoopConf);
      }
    };
  }

  Row read(String path, String location, long modified, Configuration hadoopConf) {
    try {
      Path file = new Path(location);
      FileSystem fs = file.getFileSystem(hadoopConf);
      long length = fs.getFileStatus(file).getLen();
      if (InputListing.isVideo(location)) {
        return RowFactory.create(path, modified, null, null, location);
      }
      if (length > maxFileBytes) {
        return RowFactory.create(path, modified, null,
            path + ": file too large (" + length + " bytes, --max-file-bytes is " + maxFileBytes + ")", location);
      }
      try (InputStream in = fs.open(file)) {
        return RowFactory.create(path, modified, in.readAllBytes(), null, location);
      }
    } catch (IOException | RuntimeException e) {
      return RowFactory.create(path, modified, null, path + ": cannot read file: " + e, location);
    }
  }
}
