package io.vicinity.udfs.video.decode;

/**
 * What the container says about the video stream, before any frame is decoded.
 *
 * @param container the demuxer's name (e.g. "matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2")
 * @param codec the video codec's name (e.g. "h264", "vp9", "ffv1")
 * @param width coded width in pixels
 * @param height coded height in pixels
 * @param frameRate frames per second (FFmpeg's best guess; 0 when unknown)
 * @param durationMs the declared duration of the video stream, or -1 when the container does not say
 * @param declaredFrames the frame count the container declares, or -1 when it does not say
 */
public record VideoInfo(String container, String codec, int width, int height, double frameRate, long durationMs,
    long declaredFrames) {}
