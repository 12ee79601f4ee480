package io.vicinity.job;

import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.ScoredLabel;
import io.vicinity.udfs.segment.SegmentationResult;
import io.vicinity.udfs.video.decode.VideoClipRow;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet rows of every task (schema version {@value #VERSION}, documented in README.md's
 * "Output schema" and "Tasks" sections), and the conversions from the library's results. Task columns come first ({@link #classify},
 * {@link #segment}, {@link #video}); the provenance columns every task shares come last
 * ({@link #withProvenance}). Result columns are null on error rows; optional columns ({@code logits},
 * {@code mask_scores}) exist only when asked for.
 *
 * <p>Versions: 1 = path .. error; 2 adds outcome, input_modified, model_name, model_hash, run_id and
 * schema_version; 3 adds frame_index and timestamp_ms to classify (null for images) and the segment and
 * video tasks. One number for all tasks, so a schema_version never means two layouts. Bump
 * {@link #VERSION} on any change to a column's name, type or meaning.
 */
public final class OutputSchema {
  public static final int VERSION = 3;

  public static final String PATH = "path";
  public static final String WIDTH = "width";
  public static final String HEIGHT = "height";
  public static final String EMBEDDING = "embedding";
  public static final String TOP_K = "top_k";
  public static final String LOGITS = "logits";
  /** The array<float> columns (model outputs): Parquet writes them without a dictionary. */
  static final List<String> FLOAT_ARRAYS = List.of(EMBEDDING, LOGITS);
  public static final String ERROR = "error";
  public static final String OUTCOME = "outcome";
  public static final String INPUT_MODIFIED = "input_modified";
  public static final String MODEL_NAME = "model_name";
  public static final String MODEL_HASH = "model_hash";
  public static final String RUN_ID = "run_id";
  public static final String SCHEMA_VERSION = "schema_version";
  public static final String FRAME_INDEX = "frame_index";
  public static final String TIMESTAMP_MS = "timestamp_ms";
  public static final String MASK = "mask";
  public static final String CLASS_AREAS = "class_areas";
  public static final String MASK_SCORES = "mask_scores";
  public static final String CLIP_INDEX = "clip_index";
  public static final String START_MS = "start_ms";
  public static final String END_MS = "end_ms";
  public static final String FRAMES = "frames";
  public static final String ATTENTION = "attention";
  public static final String PADDED = "padded";
  public static final String POSITIONS_EXTENDED = "positions_extended";
  public static final String ATTENTION_DENSITY = "attention_density";

  /** The {@code mask} column: the label map as a PNG, with its size so readers need not parse the PNG. */
  public static final StructType MASK_STRUCT =
      new StructType()
          .add("png", DataTypes.BinaryType, false)
          .add("height", DataTypes.IntegerType, false)
          .add("width", DataTypes.IntegerType, false);

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

  /** The classify task's own columns: path, size, embedding, top-k, logits, error, video frame. */
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
    addFrameColumns(fields);
    return DataTypes.createStructType(fields);
  }

  /** The segment task's full schema. */
  public static StructType segmentSchema(boolean withScores) {
    return withProvenance(segment(withScores));
  }

  /** The segment task's own columns: path, size, mask, class areas, scores PNG, error, video frame. */
  static StructType segment(boolean withScores) {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField(PATH, DataTypes.StringType, false));
    fields.add(DataTypes.createStructField(WIDTH, DataTypes.IntegerType, true));
    fields.add(DataTypes.createStructField(HEIGHT, DataTypes.IntegerType, true));
    fields.add(DataTypes.createStructField(MASK, MASK_STRUCT, true));
    fields.add(DataTypes.createStructField(CLASS_AREAS,
        DataTypes.createMapType(DataTypes.StringType, DataTypes.FloatType, false), true));
    if (withScores) {
      fields.add(DataTypes.createStructField(MASK_SCORES, DataTypes.BinaryType, true));
    }
    fields.add(DataTypes.createStructField(ERROR, DataTypes.StringType, true));
    addFrameColumns(fields);
    return DataTypes.createStructType(fields);
  }

  /** The video task's full schema; top_k only for a checkpoint with a classifier. */
  public static StructType videoSchema(boolean withTopK, boolean withLogits) {
    return withProvenance(video(withTopK, withLogits));
  }

  /** The video task's own columns: one row per clip (or one per video that failed). */
  static StructType video(boolean withTopK, boolean withLogits) {
    List<StructField> fields = new ArrayList<>();
    fields.add(DataTypes.createStructField(PATH, DataTypes.StringType, false));
    fields.add(DataTypes.createStructField(CLIP_INDEX, DataTypes.IntegerType, true));
    fields.add(DataTypes.createStructField(START_MS, DataTypes.LongType, true));
    fields.add(DataTypes.createStructField(END_MS, DataTypes.LongType, true));
    fields.add(DataTypes.createStructField(FRAMES, DataTypes.IntegerType, true));
    fields.add(floats(EMBEDDING));
    if (withTopK) {
      fields.add(DataTypes.createStructField(TOP_K, DataTypes.createArrayType(SCORED_LABEL, false), true));
    }
    if (withLogits) {
      fields.add(floats(LOGITS));
    }
    fields.add(DataTypes.createStructField(ATTENTION, DataTypes.StringType, false));
    fields.add(DataTypes.createStructField(PADDED, DataTypes.BooleanType, true));
    fields.add(DataTypes.createStructField(POSITIONS_EXTENDED, DataTypes.BooleanType, true));
    fields.add(DataTypes.createStructField(ATTENTION_DENSITY, DataTypes.DoubleType, true));
    fields.add(DataTypes.createStructField(ERROR, DataTypes.StringType, true));
    return DataTypes.createStructType(fields);
  }

  /** Image tasks: which frame of a video the row is (both null for an image, or a video that failed). */
  private static void addFrameColumns(List<StructField> fields) {
    fields.add(DataTypes.createStructField(FRAME_INDEX, DataTypes.IntegerType, true));
    fields.add(DataTypes.createStructField(TIMESTAMP_MS, DataTypes.LongType, true));
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

  /** Which frame of a video a row of an image task is; {@link #NONE} for an image. */
  record Frame(Integer index, Long timestampMs) {
    static final Frame NONE = new Frame(null, null);
  }

  /** The classify row for one image; {@code path} is the input's path as given. */
  static Row toRow(String path, ImageResult result, boolean withLogits, Outcome outcome, long modifiedMillis,
      Provenance provenance) {
    return classifyRow(path, result, result.error(), withLogits, Frame.NONE, outcome, modifiedMillis, provenance);
  }

  /**
   * The classify row for one image or video frame; {@code result} is null for a video that failed as a
   * whole, and {@code error} is the row's error (the result's own, or the video's).
   */
  static Row classifyRow(String path, ImageResult result, String error, boolean withLogits, Frame frame,
      Outcome outcome, long modifiedMillis, Provenance provenance) {
    List<Object> values = new ArrayList<>(16);
    values.add(path);
    values.add(result == null ? null : result.width());
    values.add(result == null ? null : result.height());
    values.add(result == null ? null : result.embedding());
    values.add(result == null || result.topK() == null ? null : scoredLabels(result.topK()));
    if (withLogits) {
      values.add(result == null ? null : result.logits());
    }
    values.add(error);
    values.add(frame.index());
    values.add(frame.timestampMs());
    return finish(values, outcome, modifiedMillis, provenance);
  }

  /** The segment row for one image or video frame; {@code result} and {@code error} as in {@link #classifyRow}. */
  static Row segmentRow(String path, SegmentationResult result, String error, boolean withScores, Frame frame,
      Outcome outcome, long modifiedMillis, Provenance provenance) {
    boolean ok = result != null && result.ok();
    List<Object> values = new ArrayList<>(16);
    values.add(path);
    values.add(result == null ? null : result.width());
    values.add(result == null ? null : result.height());
    values.add(ok ? RowFactory.create(result.maskPng(), result.height(), result.width()) : null);
    values.add(ok ? scalaMap(result.classAreas()) : null);
    if (withScores) {
      values.add(ok ? result.scoresPng() : null);
    }
    values.add(error);
    values.add(frame.index());
    values.add(frame.timestampMs());
    return finish(values, outcome, modifiedMillis, provenance);
  }

  /** The video row for one clip, or for a video that failed ({@code clip} fields null). */
  static Row videoRow(String path, VideoClipRow clip, boolean withTopK, boolean withLogits, Outcome outcome,
      long modifiedMillis, Provenance provenance) {
    List<Object> values = new ArrayList<>(20);
    values.add(path);
    values.add(clip.clipIndex());
    values.add(clip.startMs());
    values.add(clip.endMs());
    values.add(clip.frames());
    values.add(clip.embedding());
    if (withTopK) {
      values.add(clip.topK() == null ? null : scoredLabels(clip.topK()));
    }
    if (withLogits) {
      values.add(clip.logits());
    }
    values.add(clip.attention());
    values.add(clip.padded());
    values.add(clip.positionsExtended());
    values.add(clip.attentionDensity());
    values.add(clip.error());
    return finish(values, outcome, modifiedMillis, provenance);
  }

  /** The provenance columns {@link #finish} appends; outcome is the first of them. */
  private static final int PROVENANCE_COLUMNS = 6;

  /** True when a row of any task has outcome ok. */
  static boolean isOk(Row row) {
    return Outcome.OK.column().equals(row.getString(row.length() - PROVENANCE_COLUMNS));
  }

  /** {@code values} (the task's columns) followed by the provenance columns. */
  private static Row finish(List<Object> values, Outcome outcome, long modifiedMillis, Provenance provenance) {
    values.add(outcome.column());
    values.add(modifiedMillis == InputListing.UNKNOWN_MODIFIED ? null : new Timestamp(modifiedMillis));
    values.add(provenance.modelName());
    values.add(provenance.modelHash());
    values.add(provenance.runId());
    values.add(VERSION);
    return RowFactory.create(values.toArray());
  }

  /** Spark's Row encoder takes Scala maps for MapType columns, not java.util.Map. */
  private static scala.collection.Map<String, Float> scalaMap(Map<String, Float> map) {
    return scala.jdk.javaapi.CollectionConverters.asScala(new java.util.LinkedHashMap<>(map));
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
