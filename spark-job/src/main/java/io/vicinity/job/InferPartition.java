package io.vicinity.job;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Partition function: groups the read files into batches of {@code batchSize}, runs the executor's
 * shared model on each batch and emits one output row per file. Files that could not be read skip the
 * model and become error rows; bad images come back from the library as error rows too.
 */
final class InferPartition implements MapPartitionsFunction<Row, Row> {
  private final String modelDir;
  // InferenceOptions is not Serializable: ship its parts and rebuild it on the executor.
  private final int topK;
  private final boolean emitLogits;
  private final int batchSize;
  private final String backend;
  private final CollectionAccumulator<String> backendsUsed;

  InferPartition(String modelDir, InferenceOptions options, CollectionAccumulator<String> backendsUsed) {
    this.modelDir = modelDir;
    this.topK = options.topK();
    this.emitLogits = options.emitLogits();
    this.batchSize = options.batchSize();
    this.backend = options.backend();
    this.backendsUsed = backendsUsed;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> encoded) {
    if (!encoded.hasNext()) {
      return Collections.emptyIterator();
    }
    ImageInference model =
        ModelCache.get(modelDir, new InferenceOptions(topK, emitLogits, batchSize, backend));
    backendsUsed.add(model.backendDescription());
    return new Iterator<>() {
      private Iterator<Row> batch = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        return batch.hasNext() || encoded.hasNext();
      }

      @Override
      public Row next() {
        if (!batch.hasNext()) {
          if (!encoded.hasNext()) {
            throw new NoSuchElementException();
          }
          batch = inferBatch(model, nextBatch(encoded)).iterator();
        }
        return batch.next();
      }
    };
  }

  private List<Row> nextBatch(Iterator<Row> encoded) {
    List<Row> rows = new ArrayList<>(batchSize);
    while (rows.size() < batchSize && encoded.hasNext()) {
      rows.add(encoded.next());
    }
    return rows;
  }

  /** Output rows in input order: unreadable files as errors, the rest through one model call. */
  private List<Row> inferBatch(ImageInference model, List<Row> encodedRows) {
    List<ImageInput> readable = new ArrayList<>(encodedRows.size());
    for (Row row : encodedRows) {
      if (row.isNullAt(2)) {
        readable.add(new ImageInput(row.getString(0), (byte[]) row.get(1)));
      }
    }
    List<ImageResult> resultList = readable.isEmpty() ? List.of() : model.run(readable);
    if (resultList.size() != readable.size()) {
      throw new IllegalStateException(
          "model returned " + resultList.size() + " results for " + readable.size() + " images");
    }
    Iterator<ImageResult> results = resultList.iterator();
    List<Row> out = new ArrayList<>(encodedRows.size());
    for (Row row : encodedRows) {
      String path = row.getString(0);
      ImageResult result =
          row.isNullAt(2) ? results.next() : ImageResult.failed(path, null, null, row.getString(2));
      out.add(OutputSchema.toRow(path, result, emitLogits));
    }
    return out;
  }
}
