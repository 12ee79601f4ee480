package io.vicinity.udfs.gpu;

import io.vicinity.kernels.DType;
import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cuda.CudaBackend;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.video.VideoAttention;
import io.vicinity.udfs.video.VideoMaeConfig;
import io.vicinity.udfs.video.VideoMaeModel;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * The whole VideoMAE encoder on the CUDA backend (bf16) with dense and with radial attention, for
 * scripts/bench/run_device.sh (step {@code videomae}); the model directory is the one
 * scripts/bench/videomae_anchor.py writes, so ours and Hugging Face's time the same weights. Per clip length
 * (latent frames x 14 x 14 tokens, batch 1), each timed iteration is one forward from a clip already on the GPU
 * (float32, channels-last) to the pooled embedding on the host; 3 warm-ups, median of {@code iters}
 * ({@link UperNetBenchmark#median}).
 *
 * <p>After each timing, one profiled forward (an event pair around every launch) splits the device time by kernel.
 *
 * <p>The forward that takes a device tensor is private ({@code VideoMaeModel.forward} uploads host pixels); it is
 * reached through reflection, a benchmark-only shortcut, so the clip's upload is not timed (the anchor's clip is
 * on the GPU too).
 *
 * <p>Run: java -cp ... io.vicinity.udfs.gpu.VideoMaeBenchmark MODEL_DIR [iters=10] [latent frames=16,32,64]
 */
public final class VideoMaeBenchmark {
  private static final String P = "[video-bench] ";

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int iters = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int[] latents = Arrays.stream((args.length > 2 ? args[2] : "16,32,64").split(",")).mapToInt(Integer::parseInt)
        .toArray();
    Method forward = VideoMaeModel.class.getDeclaredMethod("forward", long.class, Function.class, int.class,
        int.class, VideoAttention.class, boolean.class);
    forward.setAccessible(true);
    try (CudaBackend gpu = CudaBackend.create(0, DType.BF16);
        HfModelDir hf = HfModelDir.open(dir);
        VideoMaeModel model = VideoMaeModel.load(hf, gpu)) {
      VideoMaeConfig cfg = model.config();
      System.out.printf("%s%s; %s: hidden %d, %d layers x %d heads, %d px, tubelet %d%n", P, gpu.describe(),
          dir.getFileName(), cfg.hiddenSize(), cfg.numLayers(), cfg.numHeads(), cfg.imageSize(), cfg.tubeletSize());
      System.out.println(P + "latent frames | tokens | attention | density | median ms");
      VideoAttention[] modes = {VideoAttention.DENSE, VideoAttention.radial(0, 1.0, false)};
      for (int latent : latents) {
        int frames = latent * cfg.tubeletSize();
        int size = cfg.imageSize();
        float[] pixels = new float[Math.multiplyExact(frames * size * size, cfg.numChannels())];
        Random rnd = new Random(latent);
        for (int i = 0; i < pixels.length; i++) {
          pixels[i] = (float) rnd.nextGaussian();
        }
        try (Tensor clip = gpu.fromHost(pixels, 1, frames, size, size, cfg.numChannels())) {
          Function<int[], Tensor> onDevice = shape -> clip;
          for (VideoAttention mode : modes) {
            VideoMaeModel.Output[] last = new VideoMaeModel.Output[1];
            double ms = UperNetBenchmark.median(iters, i -> {
              try {
                last[0] = (VideoMaeModel.Output) forward.invoke(model, 4L * pixels.length, onDevice, 1, frames, mode,
                    false);
              } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
              }
            });
            System.out.printf("%s%d | %d | %s | %.4f | %.2f%n", P, latent, last[0].tokens(), mode,
                last[0].attentionDensity(), ms);
            // one more forward with an event pair around every launch: device time by kernel family
            gpu.synchronize();
            gpu.startKernelProfile();
            forward.invoke(model, 4L * pixels.length, onDevice, 1, frames, mode, false);
            Map<String, double[]> prof = gpu.stopKernelProfile();
            double kernels = UperNetBenchmark.total(prof);
            System.out.printf("%s  profiled: kernel time %.2f ms of a %.2f ms forward%n", P, kernels, ms);
            UperNetBenchmark.families(P, "encoder", prof, kernels);
          }
        }
      }
    }
  }
}
