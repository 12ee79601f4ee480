package io.vicinity.job.bench;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import io.vicinity.job.TestVideoFiles;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.video.VideoAttention;
import io.vicinity.udfs.video.VideoInference;
import io.vicinity.udfs.video.decode.ClipSampling;
import io.vicinity.udfs.video.decode.VideoClipRow;
import io.vicinity.udfs.video.decode.VideoDecoder;
import io.vicinity.udfs.video.decode.VideoPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;

/**
 * The video half of {@link JobOverheadBenchmark}: writes its H.264 MP4 inputs and times what runs before the
 * job (one core decoding, the bare {@link VideoPipeline} on one thread).
 */
final class VideoLines {
  private static final int FPS = 30;

  private VideoLines() {}

  /**
   * Writes {@code count} videos of {@code width} x (width * 9 / 16) and {@code jobCount} copies of them into
   * {@code jobInput}; returns {decoded frames/s on one thread, bare pipeline clips/s}.
   */
  static double[] run(Path model, Path jobInput, int count, int jobCount, int width, int batch, String backend,
      String precision) throws Exception {
    int height = width * 9 / 16 / 2 * 2;
    int frames = Integer.getInteger("bench.videoFrames", 160);
    Path originals = Files.createDirectories(jobInput.resolveSibling("video-originals"));
    List<Path> videos = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < count; i++) {
      videos.add(write(originals.resolve(String.format("v-%04d.mp4", i)), width, height, frames, i));
    }
    System.out.printf("wrote %d videos of %d frames, %dx%d, H.264 MP4, %.1f MB each, in %.1f s%n", count, frames,
        width, height, Files.size(videos.get(0)) / 1e6, (System.nanoTime() - t0) / 1e9);
    for (int i = 0; i < jobCount; i++) {
      Files.copy(videos.get(i % count), jobInput.resolve(String.format("v-%06d.mp4", i)),
          StandardCopyOption.REPLACE_EXISTING);
    }

    long t1 = System.nanoTime();
    int decoded = 0;
    for (Path v : videos) {
      decoded += VideoDecoder.readAll(v.toString(), v).size();
    }
    double decodeRate = JobOverheadBenchmark.report("decode to RGB, 1 thread (FFmpeg + swscale)", decoded,
        (System.nanoTime() - t1) / 1e9, "frames");

    try (VideoInference inference = VideoInference.open(model,
        new InferenceOptions(5, false, batch, backend, precision), VideoAttention.DENSE)) {
      VideoPipeline pipeline = new VideoPipeline(inference, ClipSampling.DEFAULTS, batch);
      failures(pipeline.run(videos.get(0).toString(), videos.get(0))); // warm-up
      long t2 = System.nanoTime();
      int clips = 0;
      for (Path v : videos) {
        List<VideoClipRow> rows = pipeline.run(v.toString(), v);
        failures(rows);
        clips += rows.size();
      }
      double bareRate = JobOverheadBenchmark.report("bare VideoPipeline.run, 1 thread (decode + preprocess + forward)",
          clips, (System.nanoTime() - t2) / 1e9, "clips");
      System.out.println("bare forward passes: " + inference.usage().total());
      return new double[] {decodeRate, bareRate};
    }
  }

  /** An H.264 MP4 (OpenH264; MPEG-4 part 2 where this FFmpeg has no H.264 encoder) of moving gradients. */
  static Path write(Path file, int width, int height, int frames, int seed) throws Exception {
    boolean h264 = avcodec.avcodec_find_encoder_by_name("libopenh264") != null;
    try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(file.toFile(), width, height, 0)) {
      rec.setFormat("mp4");
      rec.setVideoCodecName(h264 ? "libopenh264" : "mpeg4");
      rec.setPixelFormat(AV_PIX_FMT_YUV420P);
      rec.setFrameRate(FPS);
      rec.setGopSize(FPS);
      rec.setVideoBitrate(width * height * 8); // ~1.8 Mbit/s at 640 x 360: a typical web video
      rec.start();
      byte[] rgb = new byte[width * height * 3];
      TestVideoFiles.record(rec, width, height, frames, t -> {
        for (int y = 0, i = 0; y < height; y++) {
          for (int x = 0; x < width; x++, i += 3) {
            rgb[i] = (byte) (x + 2 * t + seed * 17);
            rgb[i + 1] = (byte) (y * 3 - t);
            rgb[i + 2] = (byte) ((x ^ y) + 5 * t);
          }
        }
        return rgb;
      });
      rec.stop();
    }
    return file;
  }

  private static void failures(List<VideoClipRow> rows) {
    rows.stream().filter(r -> r.error() != null).findFirst()
        .ifPresent(r -> System.out.println("WARNING: a clip failed: " + r.error()));
  }
}
