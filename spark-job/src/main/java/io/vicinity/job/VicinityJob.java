package io.vicinity.job;

import static org.apache.spark.sql.functions.col;

import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The batch-inference job: images or videos under --input through a Hugging Face model into Parquet at
 * --output, by --task (see {@link JobTask}).
 * Everything that can be checked without Spark (arguments, model directory, input, output) is checked
 * first, so a mistake costs a second and a one-line message, not a cluster start.
 */
public final class VicinityJob {
  private static final Logger LOG = LoggerFactory.getLogger(VicinityJob.class);

  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_BAD_MODEL = 3;
  public static final int EXIT_MISSING_INPUT = 4;
  public static final int EXIT_TOO_MANY_ERRORS = 5;

  static final String COMMAND = "vicinity-spark-job";

  private VicinityJob() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the job and returns the process exit code; a session that already exists is left running. */
  public static int run(String[] args) {
    long start = System.nanoTime();
    try {
      JobConfig config = JobConfig.parse(args);
      if (config.helpRequested()) {
        System.out.println(JobOptions.usage(COMMAND));
        return EXIT_OK;
      }
      // Cheap checks first, so a typo is reported before a model load or a long listing.
      Configuration hadoopConf = HadoopConfs.from(new SparkConf());
      FileStatus input = InputListing.requireExists(config.get(JobOptions.INPUT), hadoopConf);
      checkOutput(config, hadoopConf);
      Path modelDir = checkModelDir(config, hadoopConf);

      // The model on the driver: validates the checkpoint; its fingerprint goes into every row.
      JobTask.DriverModel model = JobTask.load(config, executorSettings(config, null, null));
      String modelHash = ModelFingerprint.of(modelDir);

      RunSummary summary = runOnSpark(config, input, model, modelHash, DemoCheckpoint.isDemo(modelDir), start);

      System.out.print(summary.toText());
      if (summary.randomWeightsDemo()) {
        System.out.println("NOTE: " + DemoCheckpoint.WARNING);
      }
      double maxErrorRate = config.get(JobOptions.MAX_ERROR_RATE);
      if (ErrorBudget.exceeded(summary.errors(), summary.imagesProcessed(), maxErrorRate)) {
        return fail(EXIT_TOO_MANY_ERRORS,
            ErrorBudget.message(summary.errors(), summary.imagesProcessed(), maxErrorRate));
      }
      return EXIT_OK;
    } catch (UsageException e) {
      return fail(EXIT_USAGE, e.getMessage() + "\nRun with --help to list the options.");
    } catch (ModelLoadException e) {
      return fail(EXIT_BAD_MODEL, "bad model: " + e.getMessage());
    } catch (InputNotFoundException e) {
      return fail(EXIT_MISSING_INPUT, e.getMessage());
    } catch (IOException | RuntimeException e) {
      LOG.error("Job failed", e);
      return fail(EXIT_FAILED, "job failed: " + e);
    }
  }

  /**
   * The Spark plan: list -> (incremental: drop done inputs) -> read -> infer -> write, then count this
   * run's rows. Uses the active session if there is one (tests, notebooks), else starts one and stops it.
   */
  private static RunSummary runOnSpark(JobConfig config, FileStatus input, JobTask.DriverModel driverModel,
      String modelHash, boolean demoModel, long start) throws IOException {
    boolean ownSession =
        SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    // "Starting Spark" marks the point after which a failure is a job failure, not a usage error; the
    // integration tests assert it never appears when arguments, input or model are bad.
    LOG.info("Starting Spark");
    SparkSession spark = SparkSession.builder().appName("vicinity").getOrCreate();
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
      String output = config.get(JobOptions.OUTPUT);
      String runId = newRunId();

      // listed: every input image (path as given, URI to open, modification time)
      InputListing all = listInputs(spark, config, input, hadoopConf);
      InputListing listing = skipDone(spark, config, all, hadoopConf);
      long skippedUnchanged = all.images().size() - listing.images().size();
      LOG.info("{} inputs to process ({} other files skipped, {} unchanged since the last run)",
          listing.images().size(), listing.skippedNonImages(), skippedUnchanged);

      Progress.Counters counters = Progress.Counters.register(spark.sparkContext());
      ExecutorSettings settings = executorSettings(
          config, new OutputSchema.Provenance(driverModel.name(), modelHash, runId), counters);
      JobTask task = JobTask.of(config, settings, driverModel);

      if (!listing.images().isEmpty() || config.get(JobOptions.MODE) != JobOptions.WriteMode.INCREMENTAL) {
        try (Progress progress = Progress.start(
            counters, listing.images().size(), config.get(JobOptions.PROGRESS_INTERVAL))) {
          JavaRDD<Row> listedRows = jsc.parallelize(
              ReadImageBytes.listedRows(listing), partitions(config, listing.images().size(), jsc));
          Dataset<Row> listed = spark.createDataFrame(listedRows, ReadImageBytes.LISTED);

          // encoded: each file's bytes, read on the executors through Hadoop
          Dataset<Row> encoded = listed.mapPartitions(
              new ReadImageBytes(
                  config.get(JobOptions.MAX_FILE_BYTES), config.get(JobOptions.DEBUG_DELAY_PER_IMAGE_MS)), Encoders.row(ReadImageBytes.ENCODED));

          // predictions: decoded on the task threads, batched through the executor's shared model
          Dataset<Row> predictions = encoded.mapPartitions(task.partitionFunction(), Encoders.row(task.schema()));

          // write: Parquet through Spark's commit protocol (a retried task's files are never committed twice)
          writeParquet(predictions, config.get(JobOptions.MODE).saveMode(), output);
        }
      }

      RunSummary summary = summarise(spark, config, all, listing, skippedUnchanged, driverModel, modelHash,
          demoModel, runId, counters, start);
      summary.writeTo(output, hadoopConf);
      return summary;
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** A directory (with --glob) or a manifest, by --input-kind. */
  private static InputListing listInputs(
      SparkSession spark, JobConfig config, FileStatus input, Configuration hadoopConf) throws IOException {
    String path = config.get(JobOptions.INPUT);
    JobOptions.InputKind kind = config.get(JobOptions.INPUT_KIND);
    boolean manifest = kind == JobOptions.InputKind.MANIFEST
        || (kind == JobOptions.InputKind.AUTO && Manifest.looksLikeManifest(input));
    java.util.Set<String> extensions = JobTask.extensions(config.get(JobOptions.TASK));
    if (!manifest) {
      return InputListing.list(path, config.get(JobOptions.GLOB), extensions, hadoopConf);
    }
    if (config.get(JobOptions.GLOB) != null) {
      throw new UsageException("--glob applies to directory inputs, not to the manifest " + path);
    }
    String column = config.get(JobOptions.MANIFEST_COLUMN);
    List<String> entries = Manifest.isCsv(path)
        ? Manifest.readCsv(path, column, hadoopConf)
        : Manifest.readParquet(spark, path, column);
    return InputListing.fromManifest(path, entries, extensions, hadoopConf);
  }

  /** --mode incremental: the inputs without a row yet; other modes: all of them. */
  private static InputListing skipDone(
      SparkSession spark, JobConfig config, InputListing listing, Configuration hadoopConf) throws IOException {
    String output = config.get(JobOptions.OUTPUT);
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(output);
    if (config.get(JobOptions.MODE) != JobOptions.WriteMode.INCREMENTAL
        || !path.getFileSystem(hadoopConf).exists(path)) {
      return listing;
    }
    return Incremental.pending(listing, Incremental.readDone(spark, output));
  }

  /** What the executors need; provenance and counters are null for the driver's model-cache key. */
  private static ExecutorSettings executorSettings(
      JobConfig config, OutputSchema.Provenance provenance, Progress.Counters counters) {
    return new ExecutorSettings(
        ModelDirectory.forExecutors(config.get(JobOptions.MODEL)),
        config.get(JobOptions.BACKEND),
        config.precision(),
        config.get(JobOptions.BATCH_SIZE),
        config.get(JobOptions.BATCH_BYTES),
        config.get(JobOptions.QUEUE_BYTES),
        config.get(JobOptions.BATCH_LINGER_MS),
        config.get(JobOptions.MAX_IMAGE_PIXELS),
        provenance,
        counters);
  }

  /** Counts of this run's rows (by run_id), read back from what was committed. */
  private static RunSummary summarise(SparkSession spark, JobConfig config, InputListing all,
      InputListing listing, long skippedUnchanged, JobTask.DriverModel driverModel, String modelHash,
      boolean demoModel, String runId, Progress.Counters counters, long start) {
    String output = config.get(JobOptions.OUTPUT);
    Map<String, Long> outcomes = new TreeMap<>();
    long inputs = 0;
    if (!listing.images().isEmpty()) {
      Dataset<Row> rows = spark.read().parquet(output).where(col(OutputSchema.RUN_ID).equalTo(runId));
      for (Row row : rows.groupBy(OutputSchema.OUTCOME).count().collectAsList()) {
        outcomes.put(row.getString(0), row.getLong(1));
      }
      // A video gives many rows: the inputs are the distinct paths of this run's rows.
      inputs = rows.select(OutputSchema.PATH).distinct().count();
    }
    long processed = outcomes.values().stream().mapToLong(Long::longValue).sum();
    long errors = processed - outcomes.getOrDefault(Outcome.OK.column(), 0L);
    Set<String> devices = new java.util.TreeSet<>(counters.devices().value());
    return new RunSummary(
        config.get(JobOptions.TASK).name().toLowerCase(java.util.Locale.ROOT),
        all.filesSeen(),
        inputs,
        processed,
        errors,
        all.skippedNonImages(),
        skippedUnchanged,
        outcomes,
        (System.nanoTime() - start) / 1e9,
        driverModel.name(),
        modelHash,
        devices.isEmpty() ? driverModel.backend() : String.join("; ", devices),
        output,
        runId,
        demoModel,
        config.effectiveValues(),
        sparkSettings(spark),
        counters.batches().value() > 0 ? new RunSummary.Batches(counters.batches().value(),
            counters.batchedImages().value(), counters.busyMillis().value() / 1000.0) : null);
  }

  /**
   * Writes {@code rows} as Parquet, the model outputs ({@link OutputSchema#FLOAT_ARRAYS}) without a dictionary:
   * they hardly repeat, so building one only costs time until Parquet falls back to plain encoding.
   */
  static void writeParquet(Dataset<Row> rows, SaveMode mode, String output) {
    DataFrameWriter<Row> writer = rows.write().mode(mode);
    for (String column : OutputSchema.FLOAT_ARRAYS) {
      writer = writer.option("parquet.enable.dictionary#" + column + ".list.element", "false");
    }
    writer.parquet(output);
  }

  /** Spark's settings for the summary, secrets redacted. */
  private static Map<String, String> sparkSettings(SparkSession spark) {
    Map<String, String> settings = new LinkedHashMap<>();
    for (Tuple2<String, String> entry : spark.sparkContext().getConf().getAll()) {
      settings.put(entry._1(), entry._2());
    }
    return Redaction.all(settings);
  }

  /** The model directory on this machine (copied first when --model is remote), checked for config.json. */
  private static Path checkModelDir(JobConfig config, Configuration hadoopConf) {
    Path dir = ModelDirectory.local(config.get(JobOptions.MODEL), hadoopConf);
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException("model directory not found: " + config.get(JobOptions.MODEL));
    }
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw new ModelLoadException("no config.json in model directory " + config.get(JobOptions.MODEL));
    }
    return dir;
  }

  /** Refuses an existing output under --mode errorifexists before Spark starts, not after. */
  private static void checkOutput(JobConfig config, Configuration hadoopConf) throws IOException {
    String output = config.get(JobOptions.OUTPUT);
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(output);
    if (config.get(JobOptions.MODE) == JobOptions.WriteMode.ERRORIFEXISTS
        && path.getFileSystem(hadoopConf).exists(path)) {
      throw new UsageException(
          "output already exists: " + Redaction.uri(output) + " (use --mode overwrite, append or incremental)");
    }
  }

  /** --partitions, or Spark's default parallelism; never more partitions than images. */
  private static int partitions(JobConfig config, int images, JavaSparkContext jsc) {
    int requested = config.get(JobOptions.PARTITIONS);
    int wanted = requested > 0 ? requested : jsc.defaultParallelism();
    return Math.max(1, Math.min(wanted, images));
  }

  /** Sortable and unique: UTC start time plus a random suffix. */
  private static String newRunId() {
    return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC))
        + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static int fail(int exitCode, String message) {
    System.err.println(COMMAND + ": " + message);
    return exitCode;
  }
}
