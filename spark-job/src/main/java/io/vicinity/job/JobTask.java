package io.vicinity.job;

import java.io.Serializable;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * What the job computes, as the plan sees it: an output schema and a partition function from read files
 * ({@link ReadImageBytes#ENCODED} rows) to output rows of that schema. A new task (segment, video) is a
 * new implementation plus a case in {@link #of}; listing, reading, writing, incremental runs, progress
 * and the summary stay as they are. Every task's schema ends with {@link OutputSchema#withProvenance}.
 */
public interface JobTask extends Serializable {

  /** The Parquet schema of the rows {@link #partitionFunction} emits. */
  StructType schema();

  /** Runs on the executors: one output row per input row, in any order, errors as rows. */
  MapPartitionsFunction<Row, Row> partitionFunction();

  /** The task --task names. */
  static JobTask of(JobConfig config, ExecutorSettings settings) {
    return switch (config.get(JobOptions.TASK)) {
      case CLASSIFY -> new InferPartition.Classify(
          settings, config.get(JobOptions.TOP_K), config.get(JobOptions.EMIT_LOGITS));
    };
  }
}
