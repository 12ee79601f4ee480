package io.vicinity.job;

import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.ScoredLabel;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet row for one input image, and the conversion from the library's {@link ImageResult}.
 * Numeric columns are null on error rows; {@code logits} exists only when asked for.
 */
public final class OutputSchema {
  public static final String PATH = "path";
  public static final String WIDTH = "width";
  public static final String HEIGHT = "height";
  public static final String EMBEDDING = "embedding";
  public static final String TOP_K = "top_k";
  public static final String LOGITS = "logits";
  public static final String ERROR = "error";

  /** One entry of {@code top_k}. */
  public static final StructType SCORED_LABEL =
      new StructType()
          .add("label", DataTypes.StringType, false)
          .add("score", DataTypes.FloatType, false);

  private OutputSchema() {}

  public static StructType of(boolean withLogits) {
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

  /** The output row for one result; {@code path} is the input's path as given. */
  public static Row toRow(String path, ImageResult result, boolean withLogits) {
    List<Object> values = new ArrayList<>(7);
    values.add(path);
    values.add(result.width());
    values.add(result.height());
    values.add(result.embedding());
    values.add(result.topK() == null ? null : scoredLabels(result.topK()));
    if (withLogits) {
      values.add(result.logits());
    }
    values.add(result.error());
    return RowFactory.create(values.toArray());
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
