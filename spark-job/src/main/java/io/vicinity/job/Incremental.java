package io.vicinity.job;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * --mode incremental: an input is skipped when the output already has a row with its path and its
 * modification time, so a nightly rerun processes only new or changed files. Any row counts, error
 * rows included (a rerun does not retry failures; --mode overwrite does). An input whose modification
 * time is unknown (a missing manifest entry) is never skipped.
 */
final class Incremental {
  /** One already-processed input. */
  record Done(String path, long modifiedMillis) {}

  private Incremental() {}

  /** The inputs of {@code listing} with no row in {@code done}. */
  static InputListing pending(InputListing listing, Set<Done> done) {
    return listing.retain(file -> file.modifiedMillis() == InputListing.UNKNOWN_MODIFIED
        || !done.contains(new Done(file.path(), file.modifiedMillis())));
  }

  /** (path, input_modified) of every row in the existing output; empty when there is no output yet. */
  static Set<Done> readDone(SparkSession spark, String output) {
    Dataset<Row> existing = spark.read().parquet(output);
    List<String> columns = List.of(existing.columns());
    if (!columns.contains(OutputSchema.INPUT_MODIFIED)) {
      throw new UsageException("--mode incremental: " + output + " has no " + OutputSchema.INPUT_MODIFIED
          + " column (written by an older schema); use --mode overwrite once");
    }
    Set<Done> done = new HashSet<>();
    for (Row row : existing.select(OutputSchema.PATH, OutputSchema.INPUT_MODIFIED)
        .where(existing.col(OutputSchema.INPUT_MODIFIED).isNotNull())
        .distinct().collectAsList()) {
      done.add(new Done(row.getString(0), OutputSchema.millis(row.getTimestamp(1))));
    }
    return done;
  }
}
