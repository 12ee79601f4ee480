package io.vicinity.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch-inference job: images under --input through a Hugging Face model into Parquet at --output.
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
      InputListing.requireExists(config.get(JobOptions.INPUT), hadoopConf);
      checkOutput(config, hadoopConf);
      ImageInference model = openModel(config);
      InputListing listing = InputListing.list(config.get(JobOptions.INPUT), hadoopConf);

      RunSummary summary = runOnSpark(config, model, listing, start);

      summary.writeTo(config.get(JobOptions.OUTPUT), hadoopConf);
      System.out.print(summary.toText());
      if (summary.randomWeightsDemo()) {
        System.out.println("NOTE: " + DemoCheckpoint.WARNING);
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
   * The Spark plan: list -> read -> infer -> write, then count the output. Uses the active session if
   * there is one (tests, notebooks), else starts one and stops it at the end.
   */
  private static RunSummary runOnSpark(
      JobConfig config, ImageInference driverModel, InputListing listing, long start) {
    boolean ownSession =
        SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
    LOG.info("Starting Spark for {} images ({} non-image files skipped)",
        listing.images().size(), listing.skippedNonImages());
    SparkSession spark = SparkSession.builder().appName("vicinity").getOrCreate();
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      InferenceOptions options = config.inferenceOptions();
      String output = config.get(JobOptions.OUTPUT);
      CollectionAccumulator<String> backendsUsed = jsc.sc().collectionAccumulator("vicinity.backends");

      // listed: one row per image (path as given, URI to open), sliced evenly over the partitions
      JavaRDD<Row> listedRows =
          jsc.parallelize(ReadImageBytes.listedRows(listing), partitions(config, listing, jsc));
      Dataset<Row> listed = spark.createDataFrame(listedRows, ReadImageBytes.LISTED);

      // encoded: each file's bytes, read on the executors through Hadoop
      Dataset<Row> encoded =
          listed.mapPartitions(new ReadImageBytes(), Encoders.row(ReadImageBytes.ENCODED));

      // predictions: batches through the executor's shared model; one row per image, errors included
      Dataset<Row> predictions = encoded.mapPartitions(
          new InferPartition(modelDir(config), options, backendsUsed),
          Encoders.row(OutputSchema.of(options.emitLogits())));

      // write: Parquet through Spark's commit protocol
      predictions.write().mode(config.get(JobOptions.MODE).saveMode()).parquet(output);

      Row counts = spark.read().parquet(output)
          .agg(count(lit(1)), count(col(OutputSchema.ERROR)))
          .first();
      String backend = backendsUsed.value().isEmpty()
          ? driverModel.backendDescription()
          : String.join("; ", new TreeSet<>(backendsUsed.value()));
      return new RunSummary(
          listing.filesSeen(),
          counts.getLong(0),
          counts.getLong(1),
          listing.skippedNonImages(),
          (System.nanoTime() - start) / 1e9,
          driverModel.modelName(),
          backend,
          output,
          DemoCheckpoint.isDemo(Path.of(modelDir(config))));
    } finally {
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /**
   * Loads the model once on the driver, which validates the directory before Spark starts. In local
   * mode the executors share this JVM, so the cached instance is the one they use.
   */
  private static ImageInference openModel(JobConfig config) {
    Path dir = Path.of(modelDir(config));
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException("model directory not found: " + config.get(JobOptions.MODEL));
    }
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw new ModelLoadException("no config.json in model directory " + config.get(JobOptions.MODEL));
    }
    ImageInference model = ModelCache.get(modelDir(config), config.inferenceOptions());
    if (!model.hasClassifier()) {
      LOG.warn("Model {} has no classifier: top_k will be empty and logits absent", model.modelName());
    }
    return model;
  }

  /** Absolute, so every executor resolves the same directory whatever its working directory. */
  private static String modelDir(JobConfig config) {
    return Path.of(config.get(JobOptions.MODEL)).toAbsolutePath().normalize().toString();
  }

  /** Refuses an existing output under --mode errorifexists before Spark starts, not after. */
  private static void checkOutput(JobConfig config, Configuration hadoopConf) throws IOException {
    String output = config.get(JobOptions.OUTPUT);
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(output);
    if (config.get(JobOptions.MODE) == JobOptions.WriteMode.ERRORIFEXISTS
        && path.getFileSystem(hadoopConf).exists(path)) {
      throw new UsageException(
          "output already exists: " + output + " (use --mode overwrite to replace it)");
    }
  }

  /** --partitions, or Spark's default parallelism; never more partitions than images. */
  private static int partitions(JobConfig config, InputListing listing, JavaSparkContext jsc) {
    int requested = config.get(JobOptions.PARTITIONS);
    int wanted = requested > 0 ? requested : jsc.defaultParallelism();
    return Math.max(1, Math.min(wanted, listing.images().size()));
  }

  private static int fail(int exitCode, String message) {
    System.err.println(COMMAND + ": " + message);
    return exitCode;
  }
}
