package io.vicinity.job.bench;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_HWDEVICE_TYPE_CUDA;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_CUDA;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_NV12;
import static org.bytedeco.ffmpeg.global.avutil.av_buffer_ref;
import static org.bytedeco.ffmpeg.global.avutil.av_buffer_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_hwdevice_ctx_create;
import static org.bytedeco.ffmpeg.global.avutil.av_hwframe_transfer_data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avutil.AVBufferRef;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Whether decoding on the GPU (NVDEC, through FFmpeg's CUDA device context) would help the video job: decodes the
 * benchmark's kind of H.264 video (VideoLines) in software and on NVDEC, checks that both give the same YUV
 * bytes, then times THREADS threads decoding 2 x THREADS copies each way (frames copied back to host memory, no
 * RGB conversion). Run on the GPU machine with the runtime scripts/bench/job_gpu.sh unpacked:
 * {@code bash scripts/bench/job_gpu.sh main io.vicinity.job.bench.NvdecProbe WIDTH THREADS DIR}.
 */
public final class NvdecProbe {
  private static final int FRAMES = 160;

  private NvdecProbe() {}

  public static void main(String[] args) throws Exception {
    int width = Integer.parseInt(args[0]);
    int threads = Integer.parseInt(args[1]);
    Path file = Files.createDirectories(Path.of(args[2])).resolve("v" + width + ".mp4");
    if (!Files.exists(file)) {
      VideoLines.write(file, width, width * 9 / 16 / 2 * 2, FRAMES, 0);
    }
    System.out.println("[nvdec] " + file + ": " + Files.size(file) + " bytes");
    String software = yuvDigest(file, false);
    String nvdec = yuvDigest(file, true);
    System.out.println("[nvdec] YUV of all frames, software " + software + ", nvdec " + nvdec + ": "
        + (software.equals(nvdec) ? "identical" : "DIFFERENT"));
    for (boolean gpu : new boolean[] {false, true, false, true}) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      long t0 = System.nanoTime();
      List<Future<Integer>> runs = new ArrayList<>();
      for (int i = 0; i < 2 * threads; i++) {
        runs.add(pool.submit(() -> decode(file, gpu, null)));
      }
      int frames = 0;
      for (Future<Integer> r : runs) {
        frames += r.get();
      }
      double s = (System.nanoTime() - t0) / 1e9;
      pool.shutdown();
      System.out.printf("[nvdec] %s, %d threads: %d frames in %.2f s, %.0f frames/s%n", gpu ? "nvdec" : "software",
          threads, frames, s, frames / s);
    }
  }

  private static String yuvDigest(Path file, boolean gpu) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    int frames = decode(file, gpu, md);
    return frames + " frames sha256 " + HexFormat.of().formatHex(md.digest()).substring(0, 16);
  }

  /** Decodes every frame (to host memory); with {@code md}, hashes each frame's Y, U and V planes in turn. */
  private static int decode(Path file, boolean gpu, MessageDigest md) {
    AVFormatContext format = new AVFormatContext(null);
    check(avformat_open_input(format, file.toString(), null, null), "open " + file);
    AVCodecContext codec = null;
    AVBufferRef device = null;
    AVPacket packet = av_packet_alloc();
    AVFrame frame = av_frame_alloc();
    AVFrame host = av_frame_alloc();
    try {
      check(avformat_find_stream_info(format, (PointerPointer<?>) null), "stream info");
      int stream = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
      AVCodecParameters par = format.streams(stream).codecpar();
      AVCodec decoder = avcodec_find_decoder(par.codec_id());
      codec = avcodec_alloc_context3(decoder);
      avcodec_parameters_to_context(codec, par);
      if (gpu) {
        device = new AVBufferRef(null);
        AVDictionary options = new AVDictionary(null);
        av_dict_set(options, "primary_ctx", "1", 0); // the context the CUDA backend uses too
        int ret = av_hwdevice_ctx_create(device, AV_HWDEVICE_TYPE_CUDA, (String) null, options, 0);
        av_dict_free(options);
        check(ret, "CUDA device context");
        codec.hw_device_ctx(av_buffer_ref(device));
      }
      check(avcodec_open2(codec, decoder, (AVDictionary) null), "open decoder");
      int frames = 0;
      boolean end = false;
      while (!end) {
        if (av_read_frame(format, packet) < 0) {
          end = true;
          avcodec_send_packet(codec, null); // flush
        } else {
          if (packet.stream_index() == stream) {
            avcodec_send_packet(codec, packet);
          }
          av_packet_unref(packet);
        }
        while (avcodec_receive_frame(codec, frame) >= 0) {
          AVFrame f = frame;
          if (frame.format() == AV_PIX_FMT_CUDA) {
            check(av_hwframe_transfer_data(host, frame, 0), "copy to host");
            f = host;
          } else if (gpu) {
            throw new IllegalStateException("asked for NVDEC, got frames in pixel format " + frame.format());
          }
          if (md != null) {
            hashPlanes(md, f);
          }
          frames++;
          av_frame_unref(frame);
          av_frame_unref(host);
        }
      }
      return frames;
    } finally {
      av_frame_free(host);
      av_frame_free(frame);
      av_packet_free(packet);
      if (codec != null) {
        avcodec_free_context(codec);
      }
      if (device != null) {
        av_buffer_unref(device);
      }
      avformat_close_input(format);
    }
  }

  /** Y, then U and V as planes (NVDEC's NV12 interleaves them), so both decoders' frames hash alike. */
  private static void hashPlanes(MessageDigest md, AVFrame f) {
    int w = f.width();
    int h = f.height();
    int cw = (w + 1) / 2;
    int ch = (h + 1) / 2;
    byte[] row = new byte[2 * cw + w];
    for (int r = 0; r < h; r++) {
      f.data(0).position((long) r * f.linesize(0)).get(row, 0, w);
      md.update(row, 0, w);
    }
    if (f.format() == AV_PIX_FMT_NV12) {
      byte[] u = new byte[cw * ch];
      byte[] v = new byte[cw * ch];
      for (int r = 0; r < ch; r++) {
        f.data(1).position((long) r * f.linesize(1)).get(row, 0, 2 * cw);
        for (int x = 0; x < cw; x++) {
          u[r * cw + x] = row[2 * x];
          v[r * cw + x] = row[2 * x + 1];
        }
      }
      md.update(u);
      md.update(v);
    } else {
      for (int p = 1; p <= 2; p++) {
        BytePointer plane = f.data(p);
        for (int r = 0; r < ch; r++) {
          plane.position((long) r * f.linesize(p)).get(row, 0, cw);
          md.update(row, 0, cw);
        }
      }
    }
  }

  private static void check(int ret, String what) {
    if (ret < 0) {
      throw new IllegalStateException(what + " failed (" + ret + ")");
    }
  }
}
