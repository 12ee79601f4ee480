package io.vicinity.job;

import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.ScoredLabel;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet row for one input image (schema version {@value #VERSION}, documented in docs/cluster.md),
 * and the conversion from the library's {@link ImageResult}. Task columns come first ({@link #classify});
 * the provenance columns every task shares come last ({@link #withProvenance}). Numeric columns are null
 * on error rows; {@code logits} exists only when asked for.
 *
 * <p>Versions: 1 = path .. error; 2 adds outcome, input_modified, model_name, model_hash, run_id and
 * schema_version. Bump {@link #VERSION} on any change to a column's name, type or meaning.
 */
public final class OutputSchema {
  public static final int VERSION = 2;

  public static final String PATH = "path";
  public static final String WIDTH = "width";
  public static final String HEIGHT = "height";
  public static final String EMBEDDING = "embedding";
  public static final String TOP_K = "top_k";
  public static final String LOGITS = "logits";
  public static final String ERROR = "error";
  public static final String OUTCOME = "outcome";
  public static final String INPUT_MODIFIED = "input_modified";
  public static final String MODEL_NAME = "model_name";
  public static final String MODEL_HASH = "model_hash";
  public static final String RUN_ID = "run_id";
  public static final String SCHEMA_VERSION = "schema_version";

  /** One entry of {@code top_k}. */
  public static final StructType SCORED_LABEL =
      new StructType()
          .add("label", DataTypes.StringType, false)
          .add("score", DataTypes.FloatType, false);

  private OutputSchema() {}

  /** The classify task's full schema. */
  public static StructType of(boolean withLogits) {
    return withProvenance(classify(withLogits));
  }

  /** The classify task's own columns: path, size, embedding, top-k, logits, error. */
  static StructType classify(boolean withLogits) {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField(PATH, DataTypes.StringType, false));
    fields.add(DataTypes.createStructField(WIDTH, DataTypes.IntegerType, true));
    fields.add(DataTypes.createStructField(HEIGHT, DataTypes.IntegerType, true));
    fields.add(floats(EMBEDDING));
    fields.add(DataTypes.createStructField(TOP_K, DataTypes.createArrayType(SCORED_LABEL, false), true));
    if (withLogits) {
      fields.add(floats(LOGITS));
    }
    fields.add(DataTypes.createStructField(ERROR, DataTypes.StringType, true));
    return DataTypes.createStructType(fields);
  }

  /** {@code taskColumns} followed by the columns every task writes. */
  static StructType withProvenance(StructType taskColumns) {
    return taskColumns
        .add(OUTCOME, DataTypes.StringType, false)
        .add(INPUT_MODIFIED, DataTypes.TimestampType, true)
        .add(MODEL_NAME, DataTypes.StringType, false)
        .add(MODEL_HASH, DataTypes.StringType, false)
        .add(RUN_ID, DataTypes.StringType, false)
        .add(SCHEMA_VERSION, DataTypes.IntegerType, false);
  }

  /** Who made a row: appended to every task's row. */
  record Provenance(String modelName, String modelHash, String runId) implements java.io.Serializable {}

  /** The classify row for one result; {@code path} is the input's path as given. */
  static Row toRow(String path, ImageResult result, boolean withLogits, Outcome outcome, long modifiedMillis,
      Provenance provenance) {
    List<Object> values = new ArrayList<>(13);
    values.add(path);
    values.add(result.width());
    values.add(result.height());
    values.add(result.embedding());
    values.add(result.topK() == null ? null : scoredLabels(result.topK()));
    if (withLogits) {
      values.add(result.logits());
    }
    values.add(result.error());
    values.add(outcome.column());
    values.add(modifiedMillis == InputListing.UNKNOWN_MODIFIED ? null : new Timestamp(modifiedMillis));
    values.add(provenance.modelName());
    values.add(provenance.modelHash());
    values.add(provenance.runId());
    values.add(VERSION);
    return RowFactory.create(values.toArray());
  }

  static long millis(Timestamp timestamp) {
    return timestamp.getTime();
  }

  /** An array, not a java.util.List: Spark's Row encoder takes Scala Seqs and arrays only. */
  private static Row[] scoredLabels(List<ScoredLabel> labels) {
    Row[] rows = new Row[labels.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = RowFactory.create(labels.get(i).label(), labels.get(i).score());
    }
    return rows;
  }

  private static StructField floats(String name) {
    return DataTypes.createStructField(name, DataTypes.createArrayType(DataTypes.FloatType, false), true);
  }
}
