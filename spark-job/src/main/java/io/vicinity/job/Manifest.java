package io.vicinity.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A manifest: a CSV file (with a header row) or Parquet data with a column of paths to process, one
 * image per row. Blank entries are ignored; every other entry is kept as written (the output's path).
 */
final class Manifest {
  private Manifest() {}

  /** Whether {@code input} is read as a manifest under --input-kind auto: a file named *.csv or *.parquet. */
  static boolean looksLikeManifest(FileStatus input) {
    String name = input.getPath().getName().toLowerCase(Locale.ROOT);
    return input.isFile() && (name.endsWith(".csv") || name.endsWith(".parquet"));
  }

  static boolean isCsv(String manifest) {
    return manifest.toLowerCase(Locale.ROOT).endsWith(".csv");
  }

  /** The entries of a CSV manifest, through Hadoop (local or s3a://). */
  static List<String> readCsv(String manifest, String column, Configuration hadoopConf) throws IOException {
    Path file = new Path(manifest);
    try (Reader in = new BufferedReader(new InputStreamReader(
        file.getFileSystem(hadoopConf).open(file), StandardCharsets.UTF_8))) {
      return parseCsv(in, column, manifest);
    }
  }

  /** The entries of a Parquet manifest (a file or a directory of part files). */
  static List<String> readParquet(SparkSession spark, String manifest, String column) {
    Dataset<Row> rows = spark.read().parquet(manifest);
    if (!List.of(rows.columns()).contains(column)) {
      throw new UsageException("manifest " + manifest + " has no column '" + column + "' (columns: "
          + String.join(", ", rows.columns()) + "); set --manifest-column");
    }
    List<String> entries = new ArrayList<>();
    for (Row row : rows.select(column).collectAsList()) {
      if (!row.isNullAt(0) && !row.getString(0).isBlank()) {
        entries.add(row.getString(0).trim());
      }
    }
    return entries;
  }

  /**
   * RFC 4180 CSV: comma-separated, fields optionally in double quotes ("" for a quote inside), quoted
   * fields may hold commas and line breaks. The first record is the header.
   */
  static List<String> parseCsv(Reader in, String column, String name) throws IOException {
    List<List<String>> records = records(in.markSupported() ? in : new BufferedReader(in));
    if (records.isEmpty()) {
      throw new UsageException("manifest " + name + " is empty (expected a header with a '" + column + "' column)");
    }
    List<String> header = records.get(0);
    int index = -1;
    for (int i = 0; i < header.size(); i++) {
      // A UTF-8 byte-order mark from spreadsheet exports would otherwise hide the first column's name.
      if (header.get(i).replace("\uFEFF", "").trim().equals(column)) {
        index = i;
      }
    }
    if (index < 0) {
      throw new UsageException("manifest " + name + " has no column '" + column + "' (header: "
          + String.join(",", header) + "); set --manifest-column");
    }
    List<String> entries = new ArrayList<>();
    for (int r = 1; r < records.size(); r++) {
      List<String> record = records.get(r);
      if (index < record.size() && !record.get(index).isBlank()) {
        entries.add(record.get(index).trim());
      }
    }
    return entries;
  }

  private static List<List<String>> records(Reader in) throws IOException {
    List<List<String>> records = new ArrayList<>();
    List<String> record = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    int c;
    while ((c = in.read()) != -1) {
      any = true;
      if (quoted) {
        if (c == '"') {
          in.mark(1);
          int next = in.read();
          if (next == '"') {
            field.append('"');
          } else {
            quoted = false;
            if (next != -1) {
              in.reset();
            }
          }
        } else {
          field.append((char) c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        record.add(field.toString());
        field.setLength(0);
      } else if (c == '\n' || c == '\r') {
        if (c == '\r') {
          in.mark(1);
          if (in.read() != '\n') {
            in.reset();
          }
        }
        record.add(field.toString());
        field.setLength(0);
        if (!(record.size() == 1 && record.get(0).isEmpty())) {
          records.add(record);
        }
        record = new ArrayList<>();
        any = false;
      } else {
        field.append((char) c);
      }
    }
    if (any) {
      record.add(field.toString());
      records.add(record);
    }
    return records;
  }
}
