package io.vicinity.job;

import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.PixelMemory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every task's partition function shares: read files ({@link ReadImageBytes#ENCODED} rows) in, each
 * input's rows out in input order (an image gives one row, a video one per frame or clip), a window of
 * inputs in flight so decoding overlaps the device, read errors as rows, the progress counters, and the
 * queued work of a killed task dropped. A task supplies a {@link Handler} (its model, opened once per
 * executor through {@link ModelCache}) and its error row.
 */
abstract class TaskPartition implements MapPartitionsFunction<Row, Row> {
  private static final Logger LOG = LoggerFactory.getLogger(TaskPartition.class);

  /** Logged once per JVM and device, not once per task. */
  private static final Set<String> LOGGED_CHOICES = ConcurrentHashMap.newKeySet();

  protected final ExecutorSettings settings;

  TaskPartition(ExecutorSettings settings) {
    this.settings = settings;
  }

  /** One read file: bytes for an image, none for a video (the task copies it from {@code location}). */
  record Input(String path, String location, long modified, byte[] bytes, String readError) {
    static Input of(Row row) {
      return new Input(row.getString(ReadImageBytes.PATH_INDEX), row.getString(ReadImageBytes.LOCATION_INDEX),
          row.getLong(ReadImageBytes.MODIFIED_INDEX), (byte[]) row.get(ReadImageBytes.BYTES_INDEX),
          row.isNullAt(ReadImageBytes.ERROR_INDEX) ? null : row.getString(ReadImageBytes.ERROR_INDEX));
    }

    boolean video() {
      return InputListing.isVideo(location);
    }
  }

  /** One input in flight: its rows once {@code future} completes. Cancelling the future drops queued work. */
  static final class Pending {
    final String path;
    final CompletableFuture<?> future;
    final Supplier<List<Row>> rows;

    private Pending(String path, CompletableFuture<?> future, Supplier<List<Row>> rows) {
      this.path = path;
      this.future = future;
      this.rows = rows;
    }

    /** Rows already made (work done synchronously on the task thread). */
    static Pending done(String path, List<Row> rows) {
      return new Pending(path, CompletableFuture.completedFuture(null), () -> rows);
    }

    /** Rows made from {@code future}'s result on the task thread, once it is there. */
    static <T> Pending of(String path, CompletableFuture<T> future, Function<T, List<Row>> toRows) {
      return new Pending(path, future, () -> toRows.apply(future.join()));
    }
  }

  /** The per-partition side of a task, made on the executor with the model loaded. */
  interface Handler {
    /** Starts the work of one readable input. */
    Pending submit(Input input) throws InterruptedException;

    /** Runs work {@link #submit} held back to fill a batch, so every pending future can complete. */
    default void flush() {}

    /** Adds the device's usage since the last report (of any task) to the counters; once per task end. */
    default void reportUsage(Progress.Counters counters) {}

    /** The model and device, one line, for the summary's devices. */
    String device();
  }

  /** Warns (once per device) that a model without a device ordinal in its API runs on the default GPU. */
  protected static void defaultDeviceOnly(GpuAssignment gpu, String model) {
    if (gpu.device() != 0 && LOGGED_CHOICES.add(model + gpu.device())) {
      LOG.warn("The {} model takes no device ordinal yet: it runs on the default device, not on {}", model,
          gpu.describe());
    }
  }

  /**
   * A model's decode of an input into off-heap memory: an image's bytes (ImageInference::decode,
   * SegmentationInference::decode) or a decoded video frame (ImageInference::preprocess, ...).
   */
  @FunctionalInterface
  interface Decoder<I, R> {
    ImagePipeline.Decoded<R> decode(I input, PixelMemory memory) throws InterruptedException;
  }

  /**
   * The window of a task that feeds a shared {@link BatchQueue}: two batches, so decoding the next batch
   * overlaps the forward pass of the current one.
   */
  protected int queuedWindow() {
    return 2 * settings.batchSize();
  }

  /**
   * Decodes the image {@code in} on the task thread into {@code shared}'s Arrow memory (waiting there while
   * it is full) and queues it for the executor's shared batches; an undecodable image becomes its failed
   * result's row at once. The queue closes the vector after its batch has run or when the image is dropped.
   */
  private static <R> Pending submitToQueue(Input in, ModelCache.Shared<?, R> shared,
      Decoder<ImageInput, R> decoder, Function<R, Row> row) throws InterruptedException {
    CompletableFuture<R> result =
        enqueue(shared, decoder.decode(new ImageInput(in.path(), in.bytes()), shared.memory()));
    return Pending.of(in.path(), result, r -> List.of(row.apply(r)));
  }

  /** Queues a decoded image for {@code shared}'s batches; a failed one is its result at once. */
  private static <R> CompletableFuture<R> enqueue(ModelCache.Shared<?, R> shared, ImagePipeline.Decoded<R> decoded)
      throws InterruptedException {
    ImagePipeline.Prepared prepared = decoded.prepared();
    if (prepared == null) {
      return CompletableFuture.completedFuture(decoded.failure());
    }
    try {
      return shared.queue().submit(prepared, prepared.bytes());
    } catch (InterruptedException | RuntimeException e) {
      prepared.offHeap().close(); // not accepted: still ours
      throw e;
    }
  }

  /**
   * The image model for a video's frames ({@link VideoInputs#frameRows}): each frame preprocessed on the task
   * thread into {@code shared}'s Arrow memory and queued for the shared batches exactly as an image is, then
   * the results awaited in frame order. Queued frames are freed by the queue, so waiting for memory while
   * holding them cannot deadlock.
   */
  private static <R> Function<List<ImagePipeline.DecodedImage>, List<R>> queuedFrames(
      ModelCache.Shared<?, R> shared, Decoder<ImagePipeline.DecodedImage, R> decoder) {
    return frames -> {
      List<CompletableFuture<R>> futures = new ArrayList<>(frames.size());
      try {
        for (ImagePipeline.DecodedImage frame : frames) {
          futures.add(enqueue(shared, decoder.decode(frame, shared.memory())));
        }
        List<R> results = new ArrayList<>(futures.size());
        for (CompletableFuture<R> f : futures) {
          results.add(f.get());
        }
        return results;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while inferring video frames", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("inference of a batch of video frames failed", e.getCause());
      } finally {
        futures.forEach(f -> f.cancel(false)); // after a failure: frames still queued are dropped (and freed)
      }
    };
  }

  /** An image task's row for one result: of an image ({@code frame} NONE) or of one frame of a video. */
  @FunctionalInterface
  interface ResultRow<R> {
    Row row(Input in, R result, OutputSchema.Frame frame);
  }

  /**
   * The handler of an image task (classify, segment) on {@code shared}'s queue: an image is decoded into the
   * queue's Arrow memory and queued ({@link #submitToQueue}); a video's sampled frames take the same path
   * ({@link #queuedFrames}), one row per frame, or one error row when the video cannot be read.
   */
  protected <R> Handler queuedImageHandler(ModelCache.Shared<?, R> shared, Decoder<ImageInput, R> decoder,
      Decoder<ImagePipeline.DecodedImage, R> frameDecoder, Function<R, String> errorOf, VideoInputs.Frames frames,
      ResultRow<R> row, String device) {
    return new Handler() {
      @Override
      public Pending submit(Input in) throws InterruptedException {
        if (in.video()) {
          return Pending.done(in.path(), VideoInputs.frameRows(in, frames.sampling(), settings.batchSize(),
              queuedFrames(shared, frameDecoder), errorOf,
              (result, error, frame, outcome) -> result == null
                  ? errorRow(in.path(), in.modified(), error, outcome) : row.row(in, result, frame)));
        }
        return submitToQueue(in, shared, decoder, r -> row.row(in, r, OutputSchema.Frame.NONE));
      }

      @Override
      public void reportUsage(Progress.Counters counters) {
        counters.add(shared.queue().usage().sinceLastReport());
      }

      @Override
      public String device() {
        return device;
      }
    };
  }

  /** Opens (or reuses) this executor's model on {@code gpu}'s device. */
  protected abstract Handler open(GpuAssignment gpu);

  /** The row for an input that failed as a whole (read error, undecodable video). */
  protected abstract Row errorRow(String path, long modified, String error, Outcome outcome);

  /** How many inputs may be in flight per task. */
  protected abstract int window();

  @Override
  public Iterator<Row> call(Iterator<Row> encoded) {
    if (!encoded.hasNext()) {
      return Collections.emptyIterator();
    }
    GpuAssignment gpu = GpuAssignment.choose(settings.backend(), GpuAssignment.current());
    if (LOGGED_CHOICES.add(gpu.backend() + gpu.device())) {
      LOG.info("Device for the model: {}", gpu.describe());
    }
    Handler handler = open(gpu);
    settings.counters().devices().add(handler.device());
    InOrder rows = new InOrder(encoded, handler, window());
    TaskContext task = TaskContext.get();
    if (task != null) {
      // Killed or failed task (or a LIMIT): drop its queued work so the device does not run it.
      task.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) context -> {
        rows.cancelPending();
        handler.reportUsage(settings.counters());
      });
    }
    return rows;
  }

  /** Emits each input's rows in input order while keeping a window of inputs in flight. */
  private final class InOrder implements Iterator<Row> {
    private final Iterator<Row> encoded;
    private final Handler handler;
    private final int window;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private Iterator<Row> current = Collections.emptyIterator();
    private boolean usageReported;

    InOrder(Iterator<Row> encoded, Handler handler, int window) {
      this.encoded = encoded;
      this.handler = handler;
      this.window = Math.max(1, window);
    }

    @Override
    public boolean hasNext() {
      // An input always gives at least one row, so a pending or unread input means another row.
      boolean more = current.hasNext() || !pending.isEmpty() || encoded.hasNext();
      if (!more && !usageReported) {
        usageReported = true; // a killed task reports from its completion listener instead
        handler.reportUsage(settings.counters());
      }
      return more;
    }

    @Override
    public Row next() {
      while (!current.hasNext()) {
        fill();
        Pending head = pending.pollFirst();
        if (head == null) {
          throw new NoSuchElementException();
        }
        if (!head.future.isDone()) {
          handler.flush();
        }
        List<Row> rows = await(head);
        if (rows.isEmpty()) {
          throw new IllegalStateException(head.path + ": the task gave no row");
        }
        settings.counters().done().add(1);
        settings.counters().errors().add(rows.stream().filter(r -> !OutputSchema.isOk(r)).count());
        current = rows.iterator();
      }
      return current.next();
    }

    /** Starts inputs until the window is full: this is the work that overlaps the device. */
    private void fill() {
      while (pending.size() < window && encoded.hasNext()) {
        Input input = Input.of(encoded.next());
        if (input.readError() != null) {
          pending.addLast(Pending.done(input.path(),
              List.of(errorRow(input.path(), input.modified(), input.readError(), Outcome.READ_ERROR))));
          continue;
        }
        try {
          pending.addLast(handler.submit(input));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while queueing " + input.path(), e);
        }
      }
    }

    private List<Row> await(Pending head) {
      try {
        head.future.get();
        return head.rows.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + head.path, e);
      } catch (ExecutionException e) {
        // The batch runner itself failed (not one input): fail the task so Spark retries it.
        throw new IllegalStateException("inference of the batch holding " + head.path + " failed", e.getCause());
      }
    }

    void cancelPending() {
      for (Pending p : pending) {
        p.future.cancel(false);
      }
    }
  }
}
