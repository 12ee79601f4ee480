package io.vicinity.udfs;

import java.nio.ByteBuffer;

/**
 * Where {@link ImagePipeline#decode(int, ImageInput, ImagePipeline.Task, PixelMemory)} puts an image's
 * resized pixels (and a video clip's forward pass its frames' bytes, or a model-ready clip's values) off the
 * Java heap. The library stays free of Arrow; the Spark job backs this with an Arrow vector per allocation from
 * a named, limited child allocator, so its byte limit bounds the pixels waiting for the device.
 */
public interface PixelMemory {

  /**
   * Room for {@code floats} float32 values; blocks while the memory is full. Throws (an unchecked exception
   * whose message says why) when the request can never fit.
   */
  Pixels allocate(String path, int floats) throws InterruptedException;

  /**
   * Room for {@code bytes} uint8 values (an image's resized RGB bytes, or a video pass's frames, which the device
   * resizes and maps to the model's input values itself); blocks and refuses as {@link #allocate} does.
   */
  Pixels allocateBytes(String path, int bytes) throws InterruptedException;

  /**
   * One image's pixels, used as an Arrow vector is: allocate -> write into {@link #buffer()} ->
   * {@link #written()} -> read -> {@link #close()}.
   */
  interface Pixels extends AutoCloseable {
    /** Direct, little-endian, position 0, exactly the allocation's bytes (4 per float32 value). */
    ByteBuffer buffer();

    /** All values are written (Arrow's setValueCount); readers may start. */
    void written();

    /** Frees the memory; idempotent. */
    @Override
    void close();
  }
}
