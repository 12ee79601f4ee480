package io.vicinity.job;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/** Writing the job tests' and benchmark's videos: RGB frames through a started JavaCV recorder. */
public final class TestVideoFiles {
  private TestVideoFiles() {}

  /** Records {@code count} frames of {@code width} x {@code height} RGB bytes, {@code frame.apply(t)} for frame t. */
  public static void record(FFmpegFrameRecorder recorder, int width, int height, int count, IntFunction<byte[]> frame)
      throws FFmpegFrameRecorder.Exception {
    Frame out = new Frame(width, height, Frame.DEPTH_UBYTE, 3, width * 3);
    for (int t = 0; t < count; t++) {
      ByteBuffer buf = (ByteBuffer) out.image[0];
      buf.clear();
      buf.put(frame.apply(t));
      recorder.record(out, AV_PIX_FMT_RGB24);
    }
  }
}
