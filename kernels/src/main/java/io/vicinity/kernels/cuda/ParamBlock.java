package io.vicinity.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds the bytes of a kernel parameter struct (x86-64/CUDA layout: little-endian, natural alignment). */
final class ParamBlock {
  private final ByteBuffer buf;

  ParamBlock(int bytes) {
    buf = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  ParamBlock ptr(DevicePtr p) {
    return i64(p == null ? 0L : p.address());
  }

  ParamBlock i64(long v) {
    align(8);
    buf.putLong(v);
    return this;
  }

  ParamBlock i32(int v) {
    align(4);
    buf.putInt(v);
    return this;
  }

  ParamBlock f32(float v) {
    align(4);
    buf.putFloat(v);
    return this;
  }

  /** A nested struct's bytes (built by its own ParamBlock, so already padded to 8). */
  ParamBlock bytes(byte[] nested) {
    align(8);
    buf.put(nested);
    return this;
  }

  /** The struct bytes; fails if the layout written does not fill the declared size exactly. */
  byte[] bytes() {
    align(8);
    if (buf.position() != buf.capacity()) {
      throw new IllegalStateException("parameter struct: wrote " + buf.position() + " of " + buf.capacity() + " bytes");
    }
    return buf.array();
  }

  private void align(int a) {
    while (buf.position() % a != 0) {
      buf.put((byte) 0);
    }
  }
}
