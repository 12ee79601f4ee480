package io.vicinity.kernels.cpu;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Epilogue;
import io.vicinity.kernels.NaParams;
import io.vicinity.kernels.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Times linear, conv2d and neighborhood attention at DiNAT-mini's first-stage shapes (batch 8, 56x56 tokens,
 * 64 channels, 2 heads, kernel 7) and prints the median milliseconds and GFLOP/s. Not run by the tests:
 * {@code java -cp kernels/target/classes io.vicinity.kernels.cpu.CpuOpsBenchmark [threads]}.
 */
public final class CpuOpsBenchmark {
  private static final int BATCH = 8;
  private static final int SIDE = 56;
  private static final int DIM = 64;
  private static final int HEADS = 2;
  private static final int KERNEL = 7;
  private static final int MLP_HIDDEN = 192; // DiNAT-mini's mlp_ratio 3
  private static final int WARMUP = 3;
  private static final int RUNS = 7;

  private CpuOpsBenchmark() {}

  public static void main(String[] args) {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
    Random random = new Random(1);
    try (CpuBackend cpu = new CpuBackend(threads); Arena arena = cpu.openArena("benchmark")) {
      System.out.println(cpu.describe());
      long tokens = (long) BATCH * SIDE * SIDE;
      Tensor x = random(cpu, random, BATCH, SIDE, SIDE, DIM);
      Tensor wQkv = random(cpu, random, 3 * DIM, DIM);
      Tensor bQkv = random(cpu, random, 3 * DIM);
      time("linear qkv 64->192", 2.0 * tokens * DIM * 3 * DIM, () -> cpu.linear(x, wQkv, bQkv, Epilogue.NONE));
      Tensor hidden = random(cpu, random, BATCH, SIDE, SIDE, MLP_HIDDEN);
      Tensor wFc2 = random(cpu, random, DIM, MLP_HIDDEN);
      time("linear fc2 192->64 +residual", 2.0 * tokens * MLP_HIDDEN * DIM,
          () -> cpu.linear(hidden, wFc2, null, Epilogue.residual(x, null)));
      Tensor wFc1 = random(cpu, random, MLP_HIDDEN, DIM);
      time("linear fc1 64->192 +GELU", 2.0 * tokens * DIM * MLP_HIDDEN,
          () -> cpu.linear(x, wFc1, null, Epilogue.GELU));

      Tensor image = random(cpu, random, BATCH, 224, 224, 3);
      Tensor stem1 = random(cpu, random, DIM / 2, 3, 3, 3);
      Tensor stem2 = random(cpu, random, DIM, DIM / 2, 3, 3);
      Tensor half = random(cpu, random, BATCH, 112, 112, DIM / 2);
      time("conv2d stem 3->32 k3 s2 224->112", 2.0 * BATCH * 112 * 112 * 32 * 27,
          () -> cpu.conv2d(image, stem1, null, 2, 1));
      time("conv2d stem 32->64 k3 s2 112->56", 2.0 * BATCH * 56 * 56 * 64 * 32 * 9,
          () -> cpu.conv2d(half, stem2, null, 2, 1));

      Tensor qkv = random(cpu, random, BATCH, SIDE, SIDE, 3 * DIM);
      Tensor rpb = random(cpu, random, HEADS, 2 * KERNEL - 1, 2 * KERNEL - 1);
      double naFlops = 4.0 * tokens * KERNEL * KERNEL * DIM;
      time("NA2d k7 d1 heads 2", naFlops, () -> cpu.neighborhoodAttention2d(qkv, rpb, new NaParams(HEADS, KERNEL, 1)));
      time("NA2d k7 d8 heads 2", naFlops, () -> cpu.neighborhoodAttention2d(qkv, rpb, new NaParams(HEADS, KERNEL, 8)));
    }
  }

  private static Tensor random(CpuBackend cpu, Random random, int... shape) {
    float[] data = new float[(int) io.vicinity.kernels.Shapes.numel(shape)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextGaussian();
    }
    return cpu.fromHost(data, shape);
  }

  /** Runs {@code op} (closing each result) and prints the median time and the FLOP rate it implies. */
  private static void time(String name, double flops, Supplier<Tensor> op) {
    for (int i = 0; i < WARMUP; i++) {
      op.get().close();
    }
    double[] ms = new double[RUNS];
    for (int i = 0; i < RUNS; i++) {
      long t0 = System.nanoTime();
      Tensor out = op.get();
      ms[i] = (System.nanoTime() - t0) / 1e6;
      out.close();
    }
    Arrays.sort(ms);
    double median = ms[RUNS / 2];
    System.out.printf("%-36s %9.2f ms  %7.2f GFLOP/s%n", name, median, flops / median / 1e6);
  }
}
