package io.vicinity.udfs;

import java.nio.ByteBuffer;

/**
 * Where {@link ImagePipeline#decode(int, ImageInput, ImagePipeline.Task, PixelMemory)} puts an image's
 * preprocessed pixels off the Java heap. The library stays free of Arrow; the Spark job backs this with an
 * Arrow vector per image from a named, limited child allocator, so its byte limit bounds the pixels
 * waiting for the device.
 */
public interface PixelMemory {

  /**
   * Room for {@code floats} float32 values; blocks while the memory is full. Throws (an unchecked exception
   * whose message says why) when the request can never fit.
   */
  Pixels allocate(String path, int floats) throws InterruptedException;

  /**
   * One image's pixels, used as an Arrow vector is: allocate -> write into {@link #buffer()} ->
   * {@link #written()} -> read -> {@link #close()}.
   */
  interface Pixels extends AutoCloseable {
    /** Direct, little-endian, exactly 4 bytes per value, position 0. */
    ByteBuffer buffer();

    /** All values are written (Arrow's setValueCount); readers may start. */
    void written();

    /** Frees the memory; idempotent. */
    @Override
    void close();
  }
}
