package io.vicinity.job.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.job.OutputSchema;
import io.vicinity.job.RunSummary;
import io.vicinity.job.VicinityJob;
import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.demo.DemoCheckpoint;
import io.vicinity.udfs.image.ImageDecoder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Spark's overhead: the job against the bare model (same backend, same images, same batch size), and
 * decode throughput of one core. Not a test (no assertions); run by hand, results in docs/BENCHMARKS.md.
 *
 * <pre>
 * java -cp ... io.vicinity.job.bench.JobOverheadBenchmark MODEL IMAGES SIZE BACKEND BATCH MASTER [JOB_IMAGES]
 * </pre>
 *
 * <p>MODEL is a Hugging Face model directory, {@code demo} (the tiny random-weight demo DiNAT, 64x64 input) or
 * {@code random:EMBED:DEPTHS:HEADS:IMAGE}, a random-weight DiNAT of that shape (kernel 7, MLP ratio 3, 1000
 * classes): {@code random:64:3,4,6,5:2,4,8,16:224} has DiNAT-mini's shape and compute, heavy enough that a GPU,
 * not decoding, limits the bare engine. IMAGES JPEGs of SIZE x SIZE are generated; the in-memory lines run over
 * them. The job reads JOB_IMAGES files (default IMAGES; the same JPEGs repeated under other names), so its fixed
 * costs (listing, checkpoint hash, Parquet commit) can be spread over more images than fit in memory decoded.
 * Extra job options (e.g. {@code --partitions 16}) come from the system property {@code bench.jobArgs}; the
 * GPU precision ({@code fp32} or {@code bf16}, for the engine lines and the job alike) from {@code bench.precision}.
 * With {@code bench.task=segment} MODEL is a segmentation model directory and only the job runs ({@code --task
 * segment}; the engine lines are the classify model's). With {@code bench.task=video} MODEL is a VideoMAE directory;
 * IMAGES H.264 MP4 videos of SIZE x (SIZE * 9 / 16) pixels, {@code bench.videoFrames} frames each (default 160) at
 * 30 fps, are written instead of JPEGs, JOB_IMAGES video files go to the job ({@code --task video}), and the
 * lines before it are one core's decoding rate and the bare {@code VideoPipeline} on one thread; rates in clips/s.
 *
 * <p>The last line is machine-readable: {@code RESULT key=value ...}, rates in images/s. {@code engine} is the
 * bare engine on images decoded beforehand ({@code ImageInference.runDecoded}: preprocessing on the calling
 * thread, then forward passes); {@code model} is forward passes alone over images decoded and preprocessed
 * beforehand ({@code ImageInference.infer}), the device's ceiling.
 */
public final class JobOverheadBenchmark {
  private JobOverheadBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 6) {
      System.err.println("Usage: JobOverheadBenchmark MODEL_DIR|demo|random:EMBED:DEPTHS:HEADS:IMAGE IMAGES SIZE "
          + "BACKEND BATCH MASTER [JOB_IMAGES]");
      System.exit(2);
    }
    Path work = Files.createTempDirectory("vicinity-bench");
    Path model = model(args[0], work);
    int count = Integer.parseInt(args[1]);
    int size = Integer.parseInt(args[2]);
    String backend = args[3];
    int batch = Integer.parseInt(args[4]);
    String master = args[5];
    int jobCount = args.length > 6 ? Integer.parseInt(args[6]) : count;

    String precision = System.getProperty("bench.precision", "fp32");
    String task = System.getProperty("bench.task", "classify");
    if (task.equals("video")) {
      Path videos = Files.createDirectories(work.resolve("videos"));
      double[] rates = VideoLines.run(model, videos, count, jobCount, size, batch, backend, precision);
      double job = runJob(work, videos, model, task, backend, precision, batch, master, "clips");
      System.out.println(String.format(Locale.ROOT, "RESULT decode1_fps=%.1f bare_clips=%.2f job_clips=%.2f"
          + " videos=%d job_videos=%d width=%d batch=%d backend=%s precision=%s master=%s task=video", rates[0],
          rates[1], job, count, jobCount, size, batch, backend, precision, master));
      return;
    }
    List<ImageInput> inputs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          image.setRGB(x, y, ((x * 3 + i) << 16) ^ ((y * 5) << 8) ^ (x * y + i) & 0xFFFFFF);
        }
      }
      ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
      ImageIO.write(image, "jpg", jpeg);
      inputs.add(new ImageInput(String.format("img-%05d.jpg", i), jpeg.toByteArray()));
    }
    // The job's input: the same JPEGs, cycled up to jobCount files.
    Path images = Files.createDirectories(work.resolve("images"));
    for (int i = 0; i < jobCount; i++) {
      Files.write(images.resolve(String.format("img-%06d.jpg", i)), inputs.get(i % count).bytes());
    }

    double decodeRate = Double.NaN;
    double bareRate = Double.NaN;
    double engineRate = Double.NaN;
    double modelRate = Double.NaN;
    if (task.equals("classify")) {
      double[] rates = engineLines(model, inputs, count, batch, backend, precision);
      decodeRate = rates[0];
      bareRate = rates[1];
      engineRate = rates[2];
      modelRate = rates[3];
    }

    double jobRate = runJob(work, images, model, task, backend, precision, batch, master, "images");
    System.out.println(String.format(Locale.ROOT,
        "RESULT model=%.1f engine=%.1f bare=%.1f decode1=%.1f job=%.1f ratio_job_engine=%.3f ratio_job_model=%.3f"
            + " images=%d job_images=%d size=%d batch=%d backend=%s precision=%s master=%s spec=%s task=%s",
        modelRate, engineRate, bareRate, decodeRate, jobRate, jobRate / engineRate, jobRate / modelRate,
        count, jobCount, size, batch, backend, precision, master, args[0], task));
  }

  /**
   * The job over {@code input} (a warm-up run, then the timed one) and its summary's device usage; returns
   * the timed run's output rows ({@code unit}: images or clips) per second.
   */
  static double runJob(Path work, Path input, Path model, String task, String backend, String precision, int batch,
      String master, String unit) throws Exception {
    double jobRate;
    SparkSession spark = SparkSession.builder().master(master).appName("bench")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      List<String> job = new ArrayList<>(List.of("--input", input.toString(), "--model", model.toString(),
          "--task", task, "--backend", backend, "--precision", precision, "--batch-size",
          Integer.toString(batch), "--mode", "overwrite", "--progress-interval", "0"));
      String extra = System.getProperty("bench.jobArgs", "").trim();
      if (!extra.isEmpty()) {
        job.addAll(Arrays.asList(extra.split("\\s+")));
      }
      job.add("--output");
      job.add(work.resolve("warm").toString());
      VicinityJob.run(job.toArray(String[]::new)); // warm-up run: session, codegen, model cache
      Path out = work.resolve("out");
      job.set(job.size() - 1, out.toString());
      long t4 = System.nanoTime();
      int rc = VicinityJob.run(job.toArray(String[]::new));
      double jobSeconds = (System.nanoTime() - t4) / 1e9;
      Dataset<Row> rows = spark.read().parquet(out.toString());
      long rowCount = rows.count();
      jobRate = report("job (" + master + ", exit " + rc + ", listing + read + infer + Parquet + summary)",
          rowCount, jobSeconds, unit);
      // The device's share of the run (the summary's batches): well below 1 means the host limited the job.
      JsonNode summary = new ObjectMapper().readTree(out.resolve(RunSummary.FILE_NAME).toFile());
      System.out.println("job summary: elapsed " + summary.get("elapsed_seconds") + " s, batches "
          + summary.get("batches"));
      System.out.println("job output: " + rowCount + " Parquet rows, "
          + rows.filter(rows.col(OutputSchema.ERROR).isNotNull()).count() + " with errors, in " + out);
    } finally {
      spark.stop();
    }
    return jobRate;
  }

  /**
   * The classify model without Spark, on the in-memory JPEGs: decode + preprocess on one thread, the bare
   * engine, the engine on decoded images, forward passes alone; images/s in that order.
   */
  private static double[] engineLines(Path model, List<ImageInput> inputs, int count, int batch, String backend,
      String precision) {
    try (ImageInference bare =
        ImageInference.open(model, new InferenceOptions(5, false, batch, backend, precision))) {
      System.out.println("backend: " + bare.backendDescription());
      bare.run(inputs.subList(0, Math.min(count, 4 * batch))); // warm-up: JIT, kernels, pools
      List<ImagePipeline.Prepared> prepared = new ArrayList<>(count);
      long t0 = System.nanoTime();
      for (ImageInput in : inputs) {
        prepared.add(bare.decode(in).prepared());
      }
      double decodeSeconds = (System.nanoTime() - t0) / 1e9;
      long t1 = System.nanoTime();
      failures("bare", bare.run(inputs));
      double bareSeconds = (System.nanoTime() - t1) / 1e9;
      double decodeRate = report("decode+preprocess, 1 thread", count, decodeSeconds);
      double bareRate = report(
          "bare ImageInference.run (decode on the calling thread, " + bare.backendDescription() + ")", count,
          bareSeconds);

      // The engine alone: the same images, decoded beforehand (so JPEG decoding is not what is measured).
      List<ImagePipeline.DecodedImage> decoded = new ArrayList<>(count);
      for (ImageInput in : inputs) {
        decoded.add(new ImagePipeline.DecodedImage(in.path(), ImageDecoder.decode(in.path(), in.bytes())));
      }
      failures("engine warm-up", bare.runDecoded(decoded.subList(0, Math.min(count, 4 * batch))));
      long t2 = System.nanoTime();
      failures("engine", bare.runDecoded(decoded));
      double engineSeconds = (System.nanoTime() - t2) / 1e9;
      double engineRate = report(
          "engine only: ImageInference.runDecoded (decoded beforehand; preprocess + forward)", count, engineSeconds);
      decoded = null;

      long t3 = System.nanoTime();
      failures("model", bare.infer(prepared));
      double modelSeconds = (System.nanoTime() - t3) / 1e9;
      double modelRate = report(
          "model only: ImageInference.infer (decoded + preprocessed beforehand; forward)", count, modelSeconds);
      System.out.println("bare stage timings: " + bare.timings());
      return new double[] {decodeRate, bareRate, engineRate, modelRate};
    }
  }

  /** {@code demo}, {@code random:EMBED:DEPTHS:HEADS:IMAGE} (written under {@code work}), or a model directory. */
  private static Path model(String spec, Path work) {
    if (spec.equals("demo")) {
      Path dir = work.resolve("model");
      DemoCheckpoint.write(dir);
      return dir;
    }
    if (spec.startsWith("random:")) {
      String[] f = spec.split(":");
      if (f.length != 5) {
        throw new IllegalArgumentException("expected random:EMBED:DEPTHS:HEADS:IMAGE, got " + spec);
      }
      DemoCheckpoint.Spec shape = DemoCheckpoint.Spec.dinat(Integer.parseInt(f[4]), Integer.parseInt(f[1]),
          ints(f[2]), ints(f[3]));
      Path dir = work.resolve("random-dinat");
      DemoCheckpoint.write(dir, shape);
      System.out.println("random-weight DiNAT " + spec + ": dilations " + Arrays.deepToString(shape.dilations()));
      return dir;
    }
    return Path.of(spec);
  }

  private static int[] ints(String csv) {
    return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
  }

  /** A benchmark whose images failed measures nothing: say so loudly. */
  private static void failures(String what, List<ImageResult> results) {
    long failed = results.stream().filter(r -> r.error() != null).count();
    if (failed > 0) {
      String first = results.stream().filter(r -> r.error() != null).findFirst().map(ImageResult::error).orElse("");
      System.out.println("WARNING: " + what + ": " + failed + " of " + results.size() + " images failed, e.g. "
          + first);
    }
  }

  private static double report(String what, int count, double seconds) {
    return report(what, count, seconds, "images");
  }

  static double report(String what, long count, double seconds, String unit) {
    double rate = count / seconds;
    System.out.println(String.format(Locale.ROOT, "%-90s %6d %s %8.2f s %9.1f %s/s",
        what, count, unit, seconds, rate, unit));
    return rate;
  }
}
