package io.vicinity.job;

import io.vicinity.udfs.DeviceUsage;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's counters (Spark accumulators, visible in the Spark UI) and the driver's progress line,
 * logged every {@code --progress-interval} seconds: files done of total, images per second, errors.
 * Accumulators reach the driver when a task finishes, so the line moves per finished task; the final
 * counts in the summary come from the written rows, not from here (a re-run stage may count twice).
 */
final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

  /**
   * Executor-side counters; serialisable into the partition functions.
   *
   * @param devices each task's model and device, one line ({@code ImageInference.backendDescription})
   * @param batches forward passes: of the shared batch queues (classify, segment) and of the video models
   * @param batchedImages images, frames or clips in those passes
   * @param busyMillis wall time spent running them: the devices' busy time
   */
  record Counters(LongAccumulator done, LongAccumulator errors, CollectionAccumulator<String> devices,
      LongAccumulator batches, LongAccumulator batchedImages, LongAccumulator busyMillis)
      implements java.io.Serializable {
    static Counters register(SparkContext sc) {
      return new Counters(sc.longAccumulator("vicinity.files_done"), sc.longAccumulator("vicinity.errors"),
          sc.collectionAccumulator("vicinity.devices"), sc.longAccumulator("vicinity.batches"),
          sc.longAccumulator("vicinity.batched_images"), sc.longAccumulator("vicinity.device_busy_ms"));
    }

    /** Unregistered counters (tests, and work outside a Spark job). */
    static Counters local() {
      return new Counters(new LongAccumulator(), new LongAccumulator(), new CollectionAccumulator<>(),
          new LongAccumulator(), new LongAccumulator(), new LongAccumulator());
    }

    /** Adds a model's usage since its last report. */
    void add(DeviceUsage.Snapshot usage) {
      batches.add(usage.batches());
      batchedImages.add(usage.items());
      busyMillis.add(usage.busyNanos() / 1_000_000);
    }
  }

  private final ScheduledExecutorService timer;

  private Progress(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** Starts logging every {@code intervalSeconds} (0: never). */
  static Progress start(Counters counters, long total, int intervalSeconds) {
    long start = System.nanoTime();
    LongSupplier done = counters.done()::value;
    LongSupplier errors = counters.errors()::value;
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "vicinity-progress");
      t.setDaemon(true);
      return t;
    });
    if (intervalSeconds > 0) {
      timer.scheduleAtFixedRate(
          () -> LOG.info(line(done.getAsLong(), total, errors.getAsLong(), (System.nanoTime() - start) / 1e9)),
          intervalSeconds, intervalSeconds, TimeUnit.SECONDS);
    }
    return new Progress(timer);
  }

  /** One line, fixed shape so it can be grepped: {@code progress: 120/1000 files (12.0%), 35.2 images/s, 3 errors}. */
  static String line(long done, long total, long errors, double elapsedSeconds) {
    double percent = total > 0 ? 100.0 * done / total : 100.0;
    double rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0.0;
    return String.format(Locale.ROOT, "progress: %d/%d files (%.1f%%), %.1f images/s, %d errors",
        done, total, percent, rate, errors);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
