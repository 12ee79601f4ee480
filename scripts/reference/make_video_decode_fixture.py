"""Reference frames for the video decoder's colour conversion: OpenCV's FFmpeg reader on a noise video.

Run on a machine with opencv-python (the GPU machine; no GPU is needed):

    python3 scripts/reference/make_video_decode_fixture.py udfs/src/test/resources/fixtures/video-decode

Writes, into the folder given:

    noise_mpeg4.mp4        10 frames of 64 x 48 uniform RGB noise at 25 fps, written by cv2.VideoWriter
                           (MPEG-4 part 2, 4:2:0): every pixel's chroma differs from its neighbours', so
                           any difference in chroma upsampling or rounding shows
    noise_mpeg4_rgb.npy    uint8 [10, 48, 64, 3]: the frames as cv2.VideoCapture decodes them, as RGB

The test (VideoDecoderTest) decodes the video with our decoder and expects these bytes exactly.
"""
import os
import sys

import cv2
import numpy as np


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    video = os.path.join(out_dir, "noise_mpeg4.mp4")
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*"mp4v"), 25, (64, 48))
    for _ in range(10):
        writer.write(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    writer.release()
    capture = cv2.VideoCapture(video)
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(bgr[:, :, ::-1])
    rgb = np.ascontiguousarray(np.stack(frames))
    np.save(os.path.join(out_dir, "noise_mpeg4_rgb.npy"), rgb)
    print(f"wrote {video} ({os.path.getsize(video)} bytes) and {rgb.shape} RGB frames; OpenCV {cv2.__version__}")


if __name__ == "__main__":
    main(sys.argv[1])
