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
 * read (vanished, permission, too large) becomes a row with {@code read_error} set instead of failing
 * the task. Lazy: one file's bytes at a time are read as the next stage pulls rows.
 */
final class ReadImageBytes implements MapPartitionsFunction<Row, Row> {

  /** The listing: the path as the user gave it and the URI to open. */
  static final StructType LISTED =
      new StructType()
          .add("path", DataTypes.StringType, false)
          .add("location", DataTypes.StringType, false);

  /** The read files: bytes, or why there are none. */
  static final StructType ENCODED =
      new StructType()
          .add("path", DataTypes.StringType, false)
          .add("bytes", DataTypes.BinaryType, true)
          .add("read_error", DataTypes.StringType, true);

  /** Largest file a Java byte array can hold. */
  private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

  static List<Row> listedRows(InputListing listing) {
    return listing.images().stream()
        .map(file -> RowFactory.create(file.path(), file.location()))
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
        return read(file.getString(0), file.getString(1), hadoopConf);
      }
    };
  }

  static Row read(String path, String location, Configuration hadoopConf) {
    try {
      Path file = new Path(location);
      FileSystem fs = file.getFileSystem(hadoopConf);
      long length = fs.getFileStatus(file).getLen();
      if (length > MAX_FILE_BYTES) {
        return RowFactory.create(path, null, path + ": file too large (" + length + " bytes)");
      }
      try (InputStream in = fs.open(file)) {
        return RowFactory.create(path, in.readAllBytes(), null);
      }
    } catch (IOException | RuntimeException e) {
      return RowFactory.create(path, null, path + ": cannot read file: " + e);
    }
  }
}
