package io.vicinity.job;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Partition function of the classify task: decodes each read file on the task thread and hands the
 * decoded image to the executor's shared {@link BatchQueue}, keeping up to two batches of this task's
 * images in flight, so decoding the next batch overlaps the forward pass of the current one and the
 * device gets full batches from all task threads together. Rows come out in input order. Unreadable
 * files and bad images become error rows; nothing here throws for one bad input.
 */
final class InferPartition implements MapPartitionsFunction<Row, Row> {
  private static final Logger LOG = LoggerFactory.getLogger(InferPartition.class);

  /** Logged once per JVM and device, not once per task. */
  private static final Set<String> LOGGED_CHOICES = ConcurrentHashMap.newKeySet();

  /** The classify {@link JobTask}. */
  record Classify(ExecutorSettings settings, int topK, boolean emitLogits) implements JobTask {
    @Override
    public StructType schema() {
      return OutputSchema.of(emitLogits);
    }

    @Override
    public MapPartitionsFunction<Row, Row> partitionFunction() {
      return new InferPartition(settings, topK, emitLogits);
    }
  }

  private final ExecutorSettings settings;
  private final int topK;
  private final boolean emitLogits;

  InferPartition(ExecutorSettings settings, int topK, boolean emitLogits) {
    this.settings = settings;
    this.topK = topK;
    this.emitLogits = emitLogits;
  }

  /** The cache key for the device this task runs on (logged once per device). */
  static ModelCache.Key modelKey(ExecutorSettings settings, int topK, boolean emitLogits, GpuAssignment gpu) {
    if (LOGGED_CHOICES.add(gpu.backend() + gpu.device())) {
      LOG.info("Device for the model: {}", gpu.describe());
    }
    return new ModelCache.Key(settings.modelDir(),
        new InferenceOptions(topK, emitLogits, settings.batchSize(), gpu.backend()),
        gpu.device(), settings.maxImagePixels());
  }

  @Override
  public Iterator<Row> call(Iterator<Row> encoded) {
    if (!encoded.hasNext()) {
      return Collections.emptyIterator();
    }
    GpuAssignment gpu = GpuAssignment.choose(settings.backend(), GpuAssignment.current());
    ModelCache.Shared shared = ModelCache.shared(modelKey(settings, topK, emitLogits, gpu),
        new ModelCache.QueueLimits(settings.batchBytes(), settings.queueBytes(), settings.lingerMillis()));
    settings.counters().devices().add(shared.model().backendDescription());
    InOrder rows = new InOrder(encoded, shared, 2 * settings.batchSize());
    TaskContext task = TaskContext.get();
    if (task != null) {
      // Killed or failed task (or a LIMIT): drop its queued images so the device does not run them.
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> rows.cancelPending());
    }
    return rows;
  }

  /** One input in flight: what its row needs besides the result. */
  private record Pending(String path, long modifiedMillis, boolean readError,
      CompletableFuture<ImageResult> result) {}

  /** Emits rows in input order while keeping a window of images queued on the device. */
  private final class InOrder implements Iterator<Row> {
    private final Iterator<Row> encoded;
    private final ImageInference model;
    private final BatchQueue<ImagePipeline.Prepared, ImageResult> queue;
    private final int window;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();

    InOrder(Iterator<Row> encoded, ModelCache.Shared shared, int window) {
      this.encoded = encoded;
      this.model = shared.model();
      this.queue = shared.queue();
      this.window = window;
    }

    @Override
    public boolean hasNext() {
      return !pending.isEmpty() || encoded.hasNext();
    }

    @Override
    public Row next() {
      fill();
      Pending head = pending.pollFirst();
      if (head == null) {
        throw new NoSuchElementException();
      }
      ImageResult result = await(head);
      Outcome outcome = head.readError() ? Outcome.READ_ERROR : Outcome.ofError(result.error());
      settings.counters().done().add(1);
      if (outcome != Outcome.OK) {
        settings.counters().errors().add(1);
      }
      return OutputSchema.toRow(head.path(), result, emitLogits, outcome, head.modifiedMillis(),
          settings.provenance());
    }

    /** Decodes and queues inputs until the window is full: this is the work that overlaps the device. */
    private void fill() {
      while (pending.size() < window && encoded.hasNext()) {
        Row row = encoded.next();
        String path = row.getString(ReadImageBytes.PATH_INDEX);
        long modified = row.getLong(ReadImageBytes.MODIFIED_INDEX);
        if (!row.isNullAt(ReadImageBytes.ERROR_INDEX)) {
          String error = row.getString(ReadImageBytes.ERROR_INDEX);
          pending.addLast(new Pending(path, modified, true,
              CompletableFuture.completedFuture(ImageResult.failed(path, null, null, error))));
          continue;
        }
        byte[] bytes = (byte[]) row.get(ReadImageBytes.BYTES_INDEX);
        ImagePipeline.Decoded<ImageResult> decoded = model.decode(new ImageInput(path, bytes));
        CompletableFuture<ImageResult> result;
        if (decoded.prepared() == null) {
          result = CompletableFuture.completedFuture(decoded.failure());
        } else {
          try {
            result = queue.submit(decoded.prepared(), 4L * decoded.prepared().pixels().length);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while queueing " + path, e);
          }
        }
        pending.addLast(new Pending(path, modified, false, result));
      }
    }

    private ImageResult await(Pending head) {
      try {
        return head.result().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + head.path(), e);
      } catch (ExecutionException e) {
        // The batch runner itself failed (not one image): fail the task so Spark retries it.
        throw new IllegalStateException("inference of the batch holding " + head.path() + " failed", e.getCause());
      }
    }

    void cancelPending() {
      for (Pending p : pending) {
        p.result().cancel(false);
      }
    }
  }
}
