package io.vicinity.udfs.video.decode;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR0;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import io.vicinity.udfs.image.RgbImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/** Writes small test videos with JavaCV's FFmpegFrameRecorder (the tests make their own inputs). */
final class TestVideos {
  private TestVideos() {}

  /** A container + codec the bundled (LGPL) FFmpeg can write; libx264 is absent there, OpenH264 is not. */
  enum Kind {
    FFV1_MKV("matroska", "ffv1", AV_PIX_FMT_BGR0, ".mkv"),
    H264_MP4("mp4", "libopenh264", AV_PIX_FMT_YUV420P, ".mp4"),
    /** Index (moov) first, as for streaming: a cut file still opens, so the cut must show while decoding. */
    H264_MP4_FASTSTART("mp4", "libopenh264", AV_PIX_FMT_YUV420P, ".mp4"),
    VP9_WEBM("webm", "libvpx-vp9", AV_PIX_FMT_YUV420P, ".webm"),
    MPEG4_MKV("matroska", "mpeg4", AV_PIX_FMT_YUV420P, ".mkv");

    final String format;
    final String codec;
    final int pixelFormat;
    final String extension;

    Kind(String format, String codec, int pixelFormat, String extension) {
      this.format = format;
      this.codec = codec;
      this.pixelFormat = pixelFormat;
      this.extension = extension;
    }

    boolean lossless() {
      return this == FFV1_MKV;
    }

    /** True when this FFmpeg build has the encoder. */
    boolean available() {
      return avcodec.avcodec_find_encoder_by_name(codec) != null;
    }
  }

  /** Writes {@code frames} (all one size) at {@code fps} into {@code dir}/{@code name}+extension. */
  static Path write(Path dir, String name, Kind kind, List<RgbImage> frames, int fps) {
    Path file = dir.resolve(name + kind.extension);
    int w = frames.get(0).width();
    int h = frames.get(0).height();
    try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(file.toFile(), w, h, 0)) {
      rec.setFormat(kind.format);
      rec.setVideoCodecName(kind.codec);
      rec.setPixelFormat(kind.pixelFormat);
      rec.setFrameRate(fps);
      rec.setGopSize(4);
      if (kind == Kind.H264_MP4_FASTSTART) {
        rec.setOption("movflags", "faststart");
      }
      if (!kind.lossless()) {
        rec.setVideoBitrate(4_000_000); // high for 48x40: keeps lossy frames close to the originals
      }
      rec.start();
      Frame frame = new Frame(w, h, Frame.DEPTH_UBYTE, 3, w * 3);
      for (RgbImage img : frames) {
        ByteBuffer buf = (ByteBuffer) frame.image[0];
        buf.clear();
        buf.put(img.rgb());
        rec.record(frame, AV_PIX_FMT_RGB24);
      }
      rec.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot write test video " + file + " (" + kind + "): " + e, e);
    }
    return file;
  }

  /** Deterministic frames that differ from each other and vary smoothly (lossy codecs keep them close). */
  static List<RgbImage> frames(int count, int width, int height, long seed) {
    Random random = new Random(seed);
    List<RgbImage> out = new ArrayList<>(count);
    for (int t = 0; t < count; t++) {
      byte[] rgb = new byte[width * height * 3];
      int phase = random.nextInt(256);
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int i = (y * width + x) * 3;
          rgb[i] = (byte) (x * 255 / width);
          rgb[i + 1] = (byte) (y * 255 / height);
          rgb[i + 2] = (byte) ((phase + t * 20) & 0xFF);
        }
      }
      out.add(new RgbImage(width, height, rgb));
    }
    return out;
  }

  /** Frames of pure noise: any lossy step or off-by-one frame shows. */
  static List<RgbImage> noise(int count, int width, int height, long seed) {
    Random random = new Random(seed);
    List<RgbImage> out = new ArrayList<>(count);
    for (int t = 0; t < count; t++) {
      byte[] rgb = new byte[width * height * 3];
      random.nextBytes(rgb);
      out.add(new RgbImage(width, height, rgb));
    }
    return out;
  }

  /**
   * Frames of {@link #frames}' gradients plus noise of +-24 per sample: every pixel differs from its neighbours
   * (as with {@link #noise}), yet OpenH264 can encode them at sizes where pure noise exceeds its level's limits.
   */
  static List<RgbImage> grain(int count, int width, int height, long seed) {
    Random random = new Random(seed);
    List<RgbImage> out = new ArrayList<>(count);
    for (RgbImage smooth : frames(count, width, height, seed)) {
      byte[] rgb = smooth.rgb();
      for (int i = 0; i < rgb.length; i++) {
        rgb[i] = (byte) Math.max(0, Math.min(255, (rgb[i] & 0xFF) + random.nextInt(49) - 24));
      }
      out.add(smooth);
    }
    return out;
  }

  /** A copy of {@code file} with only its first {@code fraction} of bytes. */
  static Path truncated(Path file, double fraction) {
    try {
      byte[] all = Files.readAllBytes(file);
      String name = file.getFileName().toString();
      Path out = file.resolveSibling("cut-" + name);
      Files.write(out, Arrays.copyOf(all, (int) (all.length * fraction)));
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Mean absolute difference per sample between two images of one size. */
  static double meanAbsDiff(RgbImage a, RgbImage b) {
    long sum = 0;
    for (int i = 0; i < a.rgb().length; i++) {
      sum += Math.abs((a.rgb()[i] & 0xFF) - (b.rgb()[i] & 0xFF));
    }
    return (double) sum / a.rgb().length;
  }
}
