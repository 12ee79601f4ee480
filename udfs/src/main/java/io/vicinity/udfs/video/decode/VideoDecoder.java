package io.vicinity.udfs.video.decode;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_CORRUPT;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_guess_frame_rate;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_FLAG_BITSTREAM;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_FLAG_HWACCEL;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_FLAG_PAL;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_FLAG_PLANAR;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_FLAG_RGB;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_TIME_BASE;
import static org.bytedeco.ffmpeg.global.avutil.AVCOL_RANGE_JPEG;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_get;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.avutil.av_pix_fmt_desc_get;
import static org.bytedeco.ffmpeg.global.avutil.av_q2d;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.avutil.av_version_info;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.SWS_FULL_CHR_H_INT;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCoefficients;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;
import static org.bytedeco.ffmpeg.global.swscale.sws_setColorspaceDetails;

import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.image.RgbImage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVDictionaryEntry;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVPixFmtDescriptor;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Reads the video stream of a local file frame by frame, as 8-bit RGB at native size, through FFmpeg's C
 * API (JavaCPP presets). Used directly rather than JavaCV's FFmpegFrameGrabber because the grabber treats
 * every read error as the end of the file and ignores decode errors, so a truncated video would silently
 * give fewer frames; here every FFmpeg return is checked, frames flagged corrupt are refused, and at the
 * end the frames decoded are compared with what the container declares (frame count, stream duration).
 *
 * <p>Not thread-safe: one decoder per video, closed by its owner ({@link #close} is idempotent).
 */
public final class VideoDecoder implements AutoCloseable {
  /** Frames larger than this (8K UHD) are refused: a forged header must not make us allocate gigabytes. */
  public static final long DEFAULT_MAX_FRAME_PIXELS = 7680L * 4320;

  /** AV_FRAME_FLAG_CORRUPT, a macro the presets do not export. */
  private static final int FRAME_FLAG_CORRUPT = 1;

  /**
   * Slack for a duration the stream itself declares (it ends where the last frame ends): half a frame plus
   * rounding, so that even one lost frame counts as truncation.
   */
  private static final long STREAM_DURATION_SLACK_MS = 10;
  /** Frame-count shortfall tolerated against a declared count (edit lists can hide a few stored frames). */
  private static final int DECLARED_FRAMES_SLACK = 2;
  /**
   * Slack for a duration only the container declares: it covers all streams, and audio often runs a little
   * longer than video, so only a clear shortfall counts as truncation.
   */
  private static final long CONTAINER_DURATION_SLACK_MS = 1000;
  private static final double CONTAINER_DURATION_SLACK_FRACTION = 0.05;

  /**
   * A window's frames are converted over a region around it ({@link #pixelsWithin}): this many pixels more on each
   * side, room for sws_scale's chroma filters, which read neighbouring samples and clamp at the region's edge.
   * With this build's same-size conversion none was needed (VideoDecoderTest holds the window's bytes to the whole
   * frame's); the margin costs ~3% more pixels at 720p.
   */
  private static final int REGION_MARGIN = 8;
  /**
   * The region's edges, in pixels: keeps its chroma samples on the frame's grid (VideoDecoderTest fails with
   * unaligned edges) and its rows aligned for SIMD loads.
   */
  private static final int REGION_ALIGN = 16;

  static {
    // FFmpeg logs to stderr by default; keep only errors (ours carry the reason anyway).
    av_log_set_level(AV_LOG_ERROR);
  }

  private final String name;
  private final long maxFramePixels;
  private AVFormatContext format;
  private AVCodecContext codec;
  private AVPacket packet;
  private AVFrame frame;
  private SwsContext sws;
  private int swsFormat = -1;
  private int swsWidth;
  private int swsHeight;
  /** sws_scale's RGB output, its plane pointers and strides: one of each for the video, resized when needed. */
  private BytePointer rgbOut;
  private ByteBuffer rgbOutView;
  /** The frame's plane pointers moved to a region's origin (sws_scale reads eight). */
  private PointerPointer<BytePointer> regionPlanes;
  private PointerPointer<BytePointer> rgbPlanes;
  private IntPointer rgbStride;
  private final int streamIndex;
  private final AVRational timeBase;
  private long startPts;
  private final VideoInfo info;
  private final boolean durationFromStream;

  private final List<DecodedFrame> pending = new ArrayList<>();
  private int pendingNext;
  private int decoded;
  private int pixelStride = 1;
  private ByteResample.Window window;
  private long lastEndMs = -1;
  private boolean demuxerDone;
  private boolean finished;
  private boolean closed;

  private VideoDecoder(String name, Path file, long maxFramePixels) {
    this.name = name;
    this.maxFramePixels = maxFramePixels;
    try {
      if (!Files.isRegularFile(file)) {
        throw fail("no such file: " + file);
      }
      if (Files.size(file) == 0) {
        throw fail("empty file");
      }
      format = new AVFormatContext(null);
      int ret = avformat_open_input(format, file.toString(), null, null);
      if (ret < 0) {
        format = null;
        throw fail("cannot open as a video: not a video container, or truncated or damaged (" + error(ret) + ")");
      }
      ret = avformat_find_stream_info(format, (PointerPointer<?>) null);
      if (ret < 0) {
        throw fail("cannot read stream information (" + error(ret) + ")");
      }
      streamIndex = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, (PointerPointer<?>) null, 0);
      if (streamIndex < 0) {
        throw fail("no video stream in " + containerName() + " container");
      }
      AVStream stream = format.streams(streamIndex);
      AVCodecParameters par = stream.codecpar();
      String codecName = avcodec_get_name(par.codec_id()).getString();
      if ((long) par.width() * par.height() > maxFramePixels) {
        throw fail("frames of " + par.width() + "x" + par.height() + " exceed the limit of " + maxFramePixels
            + " pixels");
      }
      AVCodec decoder = avcodec_find_decoder(par.codec_id());
      if (decoder == null) {
        throw fail("unsupported video codec " + codecName + " (no decoder in this FFmpeg build)");
      }
      codec = avcodec_alloc_context3(decoder);
      check(avcodec_parameters_to_context(codec, par), "cannot configure the " + codecName + " decoder");
      codec.pkt_timebase(stream.time_base());
      check(avcodec_open2(codec, decoder, (AVDictionary) null), "cannot open the " + codecName + " decoder");
      packet = av_packet_alloc();
      frame = av_frame_alloc();
      timeBase = new AVRational().num(stream.time_base().num()).den(stream.time_base().den());
      startPts = stream.start_time();

      AVRational guessed = av_guess_frame_rate(format, stream, null);
      double fps = guessed.num() > 0 && guessed.den() > 0 ? av_q2d(guessed) : 0;
      long streamDurationMs = stream.duration() != AV_NOPTS_VALUE && stream.duration() > 0
          ? Math.round(stream.duration() * av_q2d(timeBase) * 1000) : tagDurationMs(stream.metadata());
      long containerDurationMs = format.duration() != AV_NOPTS_VALUE && format.duration() > 0
          ? Math.round(format.duration() * 1000.0 / AV_TIME_BASE) : -1;
      durationFromStream = streamDurationMs > 0;
      long durationMs = durationFromStream ? streamDurationMs : containerDurationMs;
      long declaredFrames = stream.nb_frames() > 0 ? stream.nb_frames() : -1;
      info = new VideoInfo(containerName(), codecName, par.width(), par.height(), fps, durationMs, declaredFrames);
    } catch (java.io.IOException e) {
      close();
      throw new VideoDecodeException(name, "cannot read file: " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  /** Opens {@code file}; {@code name} (usually the input path) names the video in every error message. */
  public static VideoDecoder open(String name, Path file) {
    return open(name, file, DEFAULT_MAX_FRAME_PIXELS);
  }

  /** As {@link #open(String, Path)}, refusing frames larger than {@code maxFramePixels}. */
  public static VideoDecoder open(String name, Path file, long maxFramePixels) {
    return new VideoDecoder(name, file, maxFramePixels);
  }

  /** Decodes every frame of {@code file} (tests and short videos; the pipeline streams instead). */
  public static List<DecodedFrame> readAll(String name, Path file) {
    try (VideoDecoder d = open(name, file)) {
      List<DecodedFrame> frames = new ArrayList<>();
      for (DecodedFrame f = d.next(); f != null; f = d.next()) {
        frames.add(f);
      }
      return frames;
    }
  }

  /** The FFmpeg build the natives come from, e.g. "8.0.1"; loads the natives (an Error if they are missing). */
  public static String ffmpegVersion() {
    return av_version_info().getString();
  }

  public VideoInfo info() {
    return info;
  }

  /**
   * From now on only frames whose index is a multiple of {@code stride} come with pixels; the others come back
   * with a null image (index and times only, still checked for corruption): a caller that keeps every n-th
   * frame skips the colour conversion and copy of the rest. Decoding itself cannot skip them (later frames are
   * predicted from them).
   */
  public VideoDecoder pixelsEvery(int stride) {
    if (stride < 1) {
      throw new IllegalArgumentException("pixel stride must be >= 1, got " + stride);
    }
    pixelStride = stride;
    return this;
  }

  /**
   * From now on frames of the video's declared size ({@link #info}) come with only this window's pixels, converted
   * from a region just around it (the bytes are those of the whole frame's conversion): a caller that reads a part
   * of each frame skips the conversion and copy of the rest. Frames of another size come whole. Null: whole frames.
   */
  public VideoDecoder pixelsWithin(ByteResample.Window window) {
    if (window != null && !window.isInside(info.height(), info.width())) {
      throw new IllegalArgumentException(name + ": " + window + " is not inside frames of " + info.width() + "x"
          + info.height());
    }
    this.window = window;
    return this;
  }

  /** Frames returned by {@link #next} so far. */
  public int framesDecoded() {
    return decoded;
  }

  /**
   * The next frame, or null after the last one. At the end the decoded frames are checked against the
   * container's declared frame count and duration: a shortfall throws {@link VideoDecodeException}
   * (truncated), as do read errors, decode errors and frames the decoder flags as corrupt.
   */
  public DecodedFrame next() {
    if (closed) {
      throw new IllegalStateException(name + ": decoder is closed");
    }
    while (pendingNext >= pending.size()) {
      pending.clear();
      pendingNext = 0;
      if (finished) {
        return null;
      }
      if (demuxerDone) {
        finished = true;
        verifyComplete();
        return null;
      }
      readPacket();
    }
    return pending.get(pendingNext++);
  }

  private void readPacket() {
    int ret = av_read_frame(format, packet);
    if (ret == AVERROR_EOF()) {
      demuxerDone = true;
      // Flush: decoders with frame delay hand out their last frames now.
      send(null);
      return;
    }
    if (ret < 0) {
      throw fail("read error after " + decoded + " frames, file truncated or damaged (" + error(ret) + ")");
    }
    try {
      if (packet.stream_index() == streamIndex) {
        if ((packet.flags() & AV_PKT_FLAG_CORRUPT) != 0) {
          throw fail("packet after frame " + decoded + " is corrupt (truncated or damaged file)");
        }
        send(packet);
      }
    } finally {
      av_packet_unref(packet);
    }
  }

  private void send(AVPacket pkt) {
    int ret = avcodec_send_packet(codec, pkt);
    if (ret < 0 && ret != AVERROR_EAGAIN() && ret != AVERROR_EOF()) {
      throw fail("cannot decode frame " + decoded + " (" + error(ret) + ")");
    }
    while (true) {
      ret = avcodec_receive_frame(codec, frame);
      if (ret == AVERROR_EAGAIN() || ret == AVERROR_EOF()) {
        return;
      }
      if (ret < 0) {
        throw fail("cannot decode frame " + decoded + " (" + error(ret) + ")");
      }
      try {
        pending.add(convert());
      } finally {
        av_frame_unref(frame);
      }
    }
  }

  private DecodedFrame convert() {
    int index = decoded;
    if ((frame.flags() & FRAME_FLAG_CORRUPT) != 0 || frame.decode_error_flags() != 0) {
      throw fail("frame " + index + " is corrupt (damaged or truncated stream)");
    }
    int w = frame.width();
    int h = frame.height();
    if (w <= 0 || h <= 0 || (long) w * h > maxFramePixels) {
      throw fail("frame " + index + " has an invalid size " + w + "x" + h);
    }
    ByteResample.Window held = window != null && w == info.width() && h == info.height() ? window : null;
    RgbImage image = null;
    if (index % pixelStride == 0) {
      image = held == null ? new RgbImage(w, h, toRgb(w, h, null)) : new RgbImage(held.width(), held.height(),
          toRgb(w, h, held));
    }
    long pts = frame.best_effort_timestamp();
    double tb = av_q2d(timeBase);
    double frameTicks = frame.duration() > 0 ? frame.duration()
        : info.frameRate() > 0 ? 1.0 / (info.frameRate() * tb) : 0;
    long startMs;
    long endMs;
    if (pts == AV_NOPTS_VALUE) {
      // No timestamp: continue from the previous frame at the nominal rate.
      startMs = Math.max(0, lastEndMs);
      endMs = startMs + Math.round(frameTicks * tb * 1000);
    } else {
      if (startPts == AV_NOPTS_VALUE) {
        startPts = pts;
      }
      startMs = Math.round((pts - startPts) * tb * 1000);
      endMs = Math.round((pts - startPts + frameTicks) * tb * 1000);
    }
    lastEndMs = Math.max(lastEndMs, endMs);
    decoded++;
    return new DecodedFrame(index, startMs, endMs, h, w, image, held);
  }

  /**
   * The frame (or the {@code held} window of it) as packed RGB24, converted with the frame's own colour matrix and
   * range.
   */
  private byte[] toRgb(int w, int h, ByteResample.Window held) {
    int pixFmt = frame.format();
    AVPixFmtDescriptor desc = av_pix_fmt_desc_get(pixFmt);
    ByteResample.Window region = held == null ? null : conversionRegion(desc, w, h, held);
    int cw = region == null ? w : region.width();
    int ch = region == null ? h : region.height();
    if (sws == null || pixFmt != swsFormat || cw != swsWidth || ch != swsHeight) {
      // OpenCV's FFmpeg reader gives these frames byte for byte (VideoDecoderTest). SWS_ACCURATE_RND took 4x
      // the time (1.8 of 2.4 ms a 640x360 frame) and interpolated chroma differently from OpenCV.
      sws = sws_getCachedContext(sws, cw, ch, pixFmt, cw, ch, AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_FULL_CHR_H_INT,
          null, null, (DoublePointer) null);
      if (sws == null) {
        throw fail("cannot convert pixel format " + pixFmt + " to RGB");
      }
      if (desc != null && (desc.flags() & AV_PIX_FMT_FLAG_RGB) == 0) {
        // YUV: swscale assumes BT.601 limited range unless told; use what the stream says (as ffmpeg does).
        IntPointer coefficients = sws_getCoefficients(frame.colorspace());
        int srcRange = frame.color_range() == AVCOL_RANGE_JPEG ? 1 : 0;
        sws_setColorspaceDetails(sws, coefficients, srcRange, sws_getCoefficients(frame.colorspace()), 1, 0,
            1 << 16, 1 << 16);
      }
      swsFormat = pixFmt;
      swsWidth = cw;
      swsHeight = ch;
    }
    int stride = cw * 3;
    if (rgbOut == null || rgbOut.capacity() < (long) stride * ch + 64 || rgbStride.get(0) != stride) {
      freeRgbOut();
      // Kept for the video: a fresh native buffer per frame cost a malloc, page faults and JavaCPP's
      // deallocator lock for every frame. sws_scale reads four plane pointers and four strides even for
      // packed RGB: pass all four.
      rgbOut = new BytePointer((long) stride * ch + 64);
      rgbOutView = rgbOut.asByteBuffer();
      rgbPlanes = new PointerPointer<>(rgbOut, null, null, null);
      rgbStride = new IntPointer(stride, 0, 0, 0);
    }
    PointerPointer<?> source = region == null ? frame.data() : regionPlanes(desc, region);
    int rows = sws_scale(sws, source, frame.linesize(), 0, ch, rgbPlanes, rgbStride);
    if (rows != ch) {
      throw fail("RGB conversion of frame " + decoded + " returned " + rows + " of " + ch + " rows");
    }
    if (held == null) {
      byte[] rgb = new byte[stride * h];
      rgbOutView.get(0, rgb);
      return rgb;
    }
    // The held window's rows, from the region's (the whole frame's when the format cannot be cut).
    int top = held.top() - (region == null ? 0 : region.top());
    int left = held.left() - (region == null ? 0 : region.left());
    int rowBytes = held.width() * 3;
    byte[] rgb = new byte[held.bytes()];
    for (int y = 0; y < held.height(); y++) {
      rgbOutView.get((top + y) * stride + left * 3, rgb, y * rowBytes, rowBytes);
    }
    return rgb;
  }

  /**
   * The region of a {@code w} x {@code h} frame converted for the {@code held} window: the window with
   * {@link #REGION_MARGIN} pixels around it, edges on multiples of {@link #REGION_ALIGN} (or the frame's), so
   * chroma samples keep their positions relative to the luma ones; null when the frame must be converted whole
   * (packed formats with subsampled chroma, palettes, hardware frames, or sizes that are not whole chroma samples:
   * there sws_scale's chroma step depends on the width converted).
   */
  private static ByteResample.Window conversionRegion(AVPixFmtDescriptor desc, int w, int h,
      ByteResample.Window held) {
    if (desc == null || (desc.flags() & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_PAL))
        != 0) {
      return null;
    }
    int chromaW = 1 << desc.log2_chroma_w();
    int chromaH = 1 << desc.log2_chroma_h();
    boolean planar = (desc.flags() & AV_PIX_FMT_FLAG_PLANAR) != 0;
    if ((!planar && (chromaW > 1 || chromaH > 1)) || w % chromaW != 0 || h % chromaH != 0) {
      return null;
    }
    int left = Math.max(0, Math.floorDiv(held.left() - REGION_MARGIN, REGION_ALIGN) * REGION_ALIGN);
    int top = Math.max(0, Math.floorDiv(held.top() - REGION_MARGIN, REGION_ALIGN) * REGION_ALIGN);
    int right = Math.min(w, ceilTo(held.left() + held.width() + REGION_MARGIN, REGION_ALIGN));
    int bottom = Math.min(h, ceilTo(held.top() + held.height() + REGION_MARGIN, REGION_ALIGN));
    return new ByteResample.Window(top, left, bottom - top, right - left);
  }

  private static int ceilTo(int value, int multiple) {
    return Math.floorDiv(value + multiple - 1, multiple) * multiple;
  }

  /** The frame's plane pointers at the region's origin (the offsets FFmpeg's own frame cropping uses). */
  private PointerPointer<BytePointer> regionPlanes(AVPixFmtDescriptor desc, ByteResample.Window region) {
    if (regionPlanes == null) {
      regionPlanes = new PointerPointer<>(8);
    }
    for (int p = 0; p < 8; p++) {
      BytePointer plane = p < 4 ? frame.data(p) : null;
      int step = p < 4 ? planeStep(desc, p) : 0;
      if (plane == null || plane.isNull() || step == 0) {
        regionPlanes.put(p, null);
        continue;
      }
      int shiftX = p == 1 || p == 2 ? desc.log2_chroma_w() : 0;
      int shiftY = p == 1 || p == 2 ? desc.log2_chroma_h() : 0;
      long offset = (long) (region.top() >> shiftY) * frame.linesize(p) + (long) (region.left() >> shiftX) * step;
      regionPlanes.put(p, plane.position(offset));
    }
    return regionPlanes;
  }

  /** Bytes from one pixel to the next in plane {@code p}; 0 when no component lies in it. */
  private static int planeStep(AVPixFmtDescriptor desc, int p) {
    for (int c = 0; c < desc.nb_components(); c++) {
      if (desc.comp(c).plane() == p) {
        return desc.comp(c).step();
      }
    }
    return 0;
  }

  private void freeRgbOut() {
    if (rgbOut != null) {
      rgbOutView = null;
      rgbPlanes.close();
      rgbStride.close();
      rgbOut.close();
      rgbOut = null;
    }
  }

  private void verifyComplete() {
    if (decoded == 0) {
      throw fail("no video frames could be decoded (empty or truncated video stream)");
    }
    if (info.declaredFrames() > 0 && decoded + DECLARED_FRAMES_SLACK < info.declaredFrames()) {
      throw fail("truncated: decoded " + decoded + " of the " + info.declaredFrames()
          + " frames the container declares");
    }
    long duration = info.durationMs();
    if (duration > 0) {
      double frameMs = info.frameRate() > 0 ? 1000 / info.frameRate() : 0;
      long slack = durationFromStream
          ? (frameMs > 0 ? Math.round(frameMs / 2) : 50) + STREAM_DURATION_SLACK_MS
          : Math.max(Math.round(2 * frameMs) + CONTAINER_DURATION_SLACK_MS,
              Math.round(duration * CONTAINER_DURATION_SLACK_FRACTION));
      if (lastEndMs + slack < duration) {
        throw fail("truncated: frames end at " + lastEndMs + " ms but the " + (durationFromStream ? "stream" :
            "container") + " declares " + duration + " ms (" + decoded + " frames decoded)");
      }
    }
  }

  /** The DURATION tag Matroska/WebM muxers write per stream ("HH:MM:SS.nnnnnnnnn"), or -1. */
  static long tagDurationMs(AVDictionary metadata) {
    if (metadata == null) {
      return -1;
    }
    AVDictionaryEntry e = av_dict_get(metadata, "DURATION", null, 0);
    return e == null ? -1 : parseTagDuration(e.value().getString());
  }

  static long parseTagDuration(String s) {
    String[] parts = s.trim().split(":");
    if (parts.length != 3) {
      return -1;
    }
    try {
      double seconds = Integer.parseInt(parts[0]) * 3600.0 + Integer.parseInt(parts[1]) * 60.0
          + Double.parseDouble(parts[2]);
      return seconds > 0 ? Math.round(seconds * 1000) : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private String containerName() {
    return format != null && format.iformat() != null ? format.iformat().name().getString() : "unknown";
  }

  private void check(int ret, String what) {
    if (ret < 0) {
      throw fail(what + " (" + error(ret) + ")");
    }
  }

  private VideoDecodeException fail(String reason) {
    return new VideoDecodeException(name, reason);
  }

  static String error(int code) {
    byte[] buf = new byte[256];
    if (av_strerror(code, buf, buf.length) < 0) {
      return "FFmpeg error " + code;
    }
    int len = 0;
    while (len < buf.length && buf[len] != 0) {
      len++;
    }
    return new String(buf, 0, len, java.nio.charset.StandardCharsets.UTF_8) + ", code " + code;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    pending.clear();
    if (sws != null) {
      sws_freeContext(sws);
      sws = null;
    }
    freeRgbOut();
    if (regionPlanes != null) {
      regionPlanes.close();
      regionPlanes = null;
    }
    if (frame != null) {
      av_frame_free(frame);
      frame = null;
    }
    if (packet != null) {
      av_packet_free(packet);
      packet = null;
    }
    if (codec != null) {
      avcodec_free_context(codec);
      codec = null;
    }
    if (format != null) {
      avformat_close_input(format);
      format = null;
    }
  }
}
