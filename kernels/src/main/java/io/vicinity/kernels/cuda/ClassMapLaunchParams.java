package io.vicinity.kernels.cuda;

/** Mirrors {@code struct ClassMapParams} in resample.cu: one image's scores [h, w, c] to its class map. */
record ClassMapLaunchParams(DevicePtr scores, DevicePtr classes, DevicePtr probabilities, int h, int w, int c,
    int midH, int midW, int outH, int outW, int lanes, int vec) {

  static final int BYTES = 64;

  byte[] toBytes() {
    return new ParamBlock(BYTES).ptr(scores).ptr(classes).ptr(probabilities).i32(h).i32(w).i32(c).i32(midH)
        .i32(midW).i32(outH).i32(outW).i32(lanes).i32(vec).bytes();
  }
}
