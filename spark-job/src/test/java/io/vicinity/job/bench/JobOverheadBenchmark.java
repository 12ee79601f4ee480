package io.vicinity.job.bench;

import io.vicinity.job.VicinityJob;
import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;

/**
 * Spark's overhead: the job against the bare model (same backend, same images, same batch size), and
 * decode throughput of one core. Not a test (no assertions); run by hand, results in docs/BENCHMARKS.md.
 *
 * <pre>java -cp ... io.vicinity.job.bench.JobOverheadBenchmark MODEL_DIR|demo IMAGES SIZE BACKEND BATCH MASTER</pre>
 */
public final class JobOverheadBenchmark {
  private JobOverheadBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path work = Files.createTempDirectory("vicinity-bench");
    Path model = args[0].equals("demo") ? work.resolve("model") : Path.of(args[0]);
    if (args[0].equals("demo")) {
      DemoCheckpoint.write(model);
    }
    int count = Integer.parseInt(args[1]);
    int size = Integer.parseInt(args[2]);
    String backend = args[3];
    int batch = Integer.parseInt(args[4]);
    String master = args[5];

    Path images = Files.createDirectories(work.resolve("images"));
    List<ImageInput> inputs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path file = images.resolve(String.format("img-%05d.jpg", i));
      BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          image.setRGB(x, y, ((x * 3 + i) << 16) ^ ((y * 5) << 8) ^ (x * y + i) & 0xFFFFFF);
        }
      }
      ImageIO.write(image, "jpg", file.toFile());
      inputs.add(new ImageInput(file.toString(), Files.readAllBytes(file)));
    }

    try (ImageInference bare = ImageInference.open(model, new InferenceOptions(5, false, batch, backend))) {
      bare.run(inputs.subList(0, Math.min(count, 4 * batch))); // warm-up: JIT, kernels, pools
      long t0 = System.nanoTime();
      for (ImageInput in : inputs) {
        bare.decode(in);
      }
      double decodeSeconds = (System.nanoTime() - t0) / 1e9;
      long t1 = System.nanoTime();
      bare.run(inputs);
      double bareSeconds = (System.nanoTime() - t1) / 1e9;
      report("decode+preprocess, 1 thread", count, decodeSeconds);
      report("bare ImageInference.run (" + bare.backendDescription() + ")", count, bareSeconds);
      System.out.println("bare stage timings: " + bare.timings());
    }

    SparkSession spark = SparkSession.builder().master(master).appName("bench")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      String[] job = {"--input", images.toString(), "--model", model.toString(), "--task", "classify",
          "--backend", backend, "--batch-size", Integer.toString(batch), "--mode", "overwrite",
          "--progress-interval", "0", "--output", work.resolve("warm").toString()};
      VicinityJob.run(job); // warm-up run: session, codegen, model cache
      job[job.length - 1] = work.resolve("out").toString();
      long t2 = System.nanoTime();
      int rc = VicinityJob.run(job);
      double jobSeconds = (System.nanoTime() - t2) / 1e9;
      report("job (" + master + ", exit " + rc + ", listing + read + infer + Parquet + summary)", count, jobSeconds);
    } finally {
      spark.stop();
    }
  }

  private static void report(String what, int count, double seconds) {
    System.out.println(String.format(Locale.ROOT, "%-90s %6d images %8.2f s %9.1f images/s",
        what, count, seconds, count / seconds));
  }
}
