package io.vicinity.job.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.video.VideoPreprocessing;
import io.vicinity.udfs.video.decode.DecodedFrame;
import io.vicinity.udfs.video.decode.VideoDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Frames converted only within the window the preprocessing reads ({@code VideoDecoder.pixelsWithin}) on the
 * machine that runs the job: checks on the benchmark's kind of H.264 video (VideoLines) that every frame's window
 * holds the whole frame's bytes (VideoMAE's 224 px center-crop window and two off-center ones), then times THREADS
 * threads decoding 2 x THREADS copies with whole frames and with the window, alternating. Run on the GPU machine
 * with the runtime scripts/bench/job_gpu.sh unpacked:
 * {@code bash scripts/bench/job_gpu.sh main io.vicinity.job.bench.WindowProbe WIDTH THREADS DIR}.
 */
public final class WindowProbe {
  private static final int FRAMES = 160;

  private WindowProbe() {}

  public static void main(String[] args) throws Exception {
    int width = Integer.parseInt(args[0]);
    int threads = Integer.parseInt(args[1]);
    int height = width * 9 / 16 / 2 * 2;
    Path file = Files.createDirectories(Path.of(args[2])).resolve("v" + width + ".mp4");
    if (!Files.exists(file)) {
      VideoLines.write(file, width, height, FRAMES, 0);
    }
    VideoPreprocessing videoMae = VideoPreprocessing.fromJson(new ObjectMapper().readTree(
        "{\"image_processor_type\": \"VideoMAEImageProcessor\"}"));
    ByteResample.Window crop = videoMae.framesWindow(height, width);
    List<ByteResample.Window> windows = List.of(crop, new ByteResample.Window(height / 3 + 1, width / 5 + 3,
        height / 2 - 1, width / 3 + 5), new ByteResample.Window(height - 37, width - 53, 37, 53));
    List<DecodedFrame> whole = VideoDecoder.readAll("whole", file);
    for (ByteResample.Window w : windows) {
      int differing = 0;
      try (VideoDecoder d = VideoDecoder.open("window", file).pixelsWithin(w)) {
        for (DecodedFrame all : whole) {
          byte[] expected = w.cut(all.image().rgb(), 0, width);
          differing += Arrays.equals(expected, d.next().image().rgb()) ? 0 : 1;
        }
      }
      System.out.printf("[window] %dx%d, %s: %d of %d frames differ from the whole frame's window: %s%n", width,
          height, w, differing, whole.size(), differing == 0 ? "identical" : "DIFFERENT");
    }
    for (boolean windowed : new boolean[] {false, true, false, true}) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      long t0 = System.nanoTime();
      List<Future<Integer>> runs = new ArrayList<>();
      for (int i = 0; i < 2 * threads; i++) {
        runs.add(pool.submit(() -> {
          int frames = 0;
          try (VideoDecoder d = VideoDecoder.open("timed", file).pixelsWithin(windowed ? crop : null)) {
            while (d.next() != null) {
              frames++;
            }
          }
          return frames;
        }));
      }
      int frames = 0;
      for (Future<Integer> r : runs) {
        frames += r.get();
      }
      double s = (System.nanoTime() - t0) / 1e9;
      pool.shutdown();
      System.out.printf("[window] %s, %d threads: %d frames in %.2f s, %.0f frames/s%n",
          windowed ? "the crop's window " + crop : "whole frames", threads, frames, s, frames / s);
    }
  }
}
