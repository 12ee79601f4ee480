package io.vicinity.udfs.video;

/**
 * One decoded clip, frames in time order. Either raw RGB bytes (preprocessed per frame like images), or
 * model-ready float pixels (already resized and normalised, as Hugging Face's pixel_values but channels-last).
 *
 * @param id names the clip in results and errors (e.g. "video.mp4#clip3")
 * @param rgb uint8 [frames, height, width, 3], or null
 * @param pixels float32 [frames, height, width, 3] model-ready, or null
 */
public record VideoClip(String id, int frames, int height, int width, byte[] rgb, float[] pixels) {
  public VideoClip {
    if ((rgb == null) == (pixels == null)) {
      throw new IllegalArgumentException(id + ": a clip holds either rgb bytes or float pixels");
    }
    long expected = (long) frames * height * width * 3;
    long actual = rgb != null ? rgb.length : pixels.length;
    if (frames < 1 || height < 1 || width < 1 || actual != expected) {
      throw new IllegalArgumentException(id + ": " + frames + " frames of " + width + "x" + height
          + " x 3 need " + expected + " values, got " + actual);
    }
  }

  public static VideoClip ofRgb(String id, int frames, int height, int width, byte[] rgb) {
    return new VideoClip(id, frames, height, width, rgb, null);
  }

  public static VideoClip ofPixels(String id, int frames, int height, int width, float[] pixels) {
    return new VideoClip(id, frames, height, width, null, pixels);
  }
}
