package io.vicinity.udfs;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.StageTimings.Stage;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.image.ImageDecodeException;
import io.vicinity.udfs.image.ImageDecoder;
import io.vicinity.udfs.image.ImagePreprocessor;
import io.vicinity.udfs.image.PreprocessorConfig;
import io.vicinity.udfs.image.RgbImage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model-independent half of image inference: decode -> preprocess -> group images of equal
 * preprocessed size -> batches -> one forward pass at a time -> per-image results, each stage timed. A bad
 * image never throws: decoding, inference and post-processing failures become error results through
 * {@link Task#failed}. A batch whose forward pass fails is retried in smaller pieces, so one bad batch
 * (e.g. out of device memory) does not fail its images: it is split in halves and retried. Thread-safe; forward passes are serialised (the
 * backend parallelises inside).
 */
public final class ImagePipeline {
  private static final Logger LOG = LoggerFactory.getLogger(ImagePipeline.class);

  private final ImagePreprocessor preprocessor;
  private final ImageDecoder decoder;
  /**
   * Decoded images go to a device to be resized there when the window of them that the resize and crop read
   * has at most this many times the pixels of the preprocessed image; larger ones are resized on the decoding
   * thread. Host decoding is the job's limit, and
   * Pillow's resize on the host costs about as much again for photos: on an H100 with 16 cores, 1024 x 1024
   * JPEGs (21 times a 224 px input) ran 786 images/s resized on the GPU against 450 on the host. At the bound a
   * waiting window holds 9.6 MB for a 224 px model (about 1790 x 1790 pixels).
   */
  public static final int DEVICE_RESAMPLE_MAX_RATIO = 64;

  /** Whether off-heap images may wait as decoded, for the task's backend to resize them on its device. */
  private final boolean resampleOnDevice;
  /** The preprocessor's rescale + normalize per channel and byte value (off-heap images are bytes). */
  private final float[] channelValues;
  private final ReentrantLock forwardLock = new ReentrantLock();
  private final StageTimings timings = new StageTimings();

  /**
   * {@code maxPixels}: images whose header claims more pixels are refused before any pixel is decoded.
   * {@code resampleOnDevice}: the task's backend resizes on a device, so an image written off the heap waits as
   * decoded when {@link ImagePreprocessor#deviceResamplePlan} allows (else resized on the decoding thread).
   */
  public ImagePipeline(ImagePreprocessor preprocessor, long maxPixels, boolean resampleOnDevice) {
    this.preprocessor = preprocessor;
    this.decoder = new ImageDecoder(maxPixels);
    this.resampleOnDevice = resampleOnDevice;
    this.channelValues = preprocessor.channelValues();
  }

  /** The preprocessing a model directory asks for; a {@link ModelLoadException} when it is missing or bad. */
  public static ImagePreprocessor preprocessorOf(HfModelDir dir) {
    if (dir.preprocessorConfig() == null) {
      throw new ModelLoadException(dir.dir() + ": missing preprocessor_config.json (needed to resize and "
          + "normalise images as the checkpoint expects)");
    }
    try {
      return new ImagePreprocessor(PreprocessorConfig.fromJson(dir.preprocessorConfig()));
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(dir.dir() + ": preprocessor_config.json: " + e.getMessage(), e);
    }
  }

  /**
   * A decoded, preprocessed image: its original size and its [size.height, size.width, 3] pixels, either on
   * the heap as the model's float32 input values ({@code pixels}) or off it as uint8 RGB bytes ({@code offHeap},
   * from a {@link PixelMemory}; {@code pixels} is then null and whoever queued the image closes {@code offHeap}
   * once its batch has run). The bytes off the heap are the resized image, or, when {@code resample} is set, the
   * decoded one that {@code resample} turns into it; the device resizes them if need be and maps them to the
   * model's values through {@link ImagePreprocessor#channelValues()}.
   */
  public record Prepared(int index, String path, int width, int height, ImagePreprocessor.Size size,
      float[] pixels, PixelMemory.Pixels offHeap, ByteResample resample) {
    public Prepared(int index, String path, int width, int height, ImagePreprocessor.Size size, float[] pixels) {
      this(index, path, width, height, size, pixels, null, null);
    }

    /** Bytes the pixels take: uint8 off the heap (decoded or resized), float32 on it. */
    public long bytes() {
      return offHeap != null ? offHeap.buffer().capacity() : 4L * size.height() * size.width() * 3;
    }

    /** How the device turns the off-heap bytes into the preprocessed image (a copy when they are it). */
    ByteResample deviceResample() {
      return resample != null ? resample
          : ByteResample.crop(size.height(), size.width(), 0, 0, size.height(), size.width());
    }

    Prepared withIndex(int i) {
      return new Prepared(i, path, width, height, size, pixels, offHeap, resample);
    }
  }

  /** What one kind of inference does with the batches. */
  public interface Task<O, R> {
    /**
     * One forward pass over the images of {@code batch}, stacked channels-last in {@code pixels} [batch.size(),
     * height, width, 3] (each image's own size, before preprocessing, is in its {@link Prepared}).
     */
    O forward(float[] pixels, List<Prepared> batch, int height, int width);

    /**
     * As {@link #forward(float[], List, int, int)} for off-heap images: one direct buffer of uint8 RGB bytes per
     * image in batch order, which {@code resamples} (one per image) turn into the preprocessed images' bytes,
     * whose input values are {@code values[c * 256 + byte]} for channel c (the preprocessor's
     * {@link ImagePreprocessor#channelValues()}): what {@code Backend.fromHostBytes} takes to the model's device.
     */
    O forward(List<ByteBuffer> images, List<ByteResample> resamples, float[] values, List<Prepared> batch,
        int height, int width);

    /** The result for {@code image}, the {@code indexInBatch}-th image of a batch whose pass gave {@code out}. */
    R result(Prepared image, O out, int indexInBatch);

    /** The result for an image that failed; width and height are null when it could not be decoded. */
    R failed(String path, Integer width, Integer height, String error);
  }

  /** Time spent so far in each stage, summed over calling threads. */
  public StageTimings timings() {
    return timings;
  }

  /** Processes a list of images; the result list has the same order and size as the input. */
  public <O, R> List<R> run(List<ImageInput> inputs, int batchSize, Task<O, R> task) {
    List<R> results = new ArrayList<>(Collections.nCopies(inputs.size(), null));
    // Images of equal preprocessed size can share a forward pass.
    Map<ImagePreprocessor.Size, List<Prepared>> bySize = new LinkedHashMap<>();
    for (int i = 0; i < inputs.size(); i++) {
      ImageInput in = inputs.get(i);
      try {
        Prepared p = prepare(i, in);
        bySize.computeIfAbsent(p.size(), s -> new ArrayList<>()).add(p);
      } catch (ImageDecodeException e) {
        results.set(i, task.failed(in.path(), null, null, e.getMessage()));
      } catch (RuntimeException e) {
        results.set(i, task.failed(in.path(), null, null, in.path() + ": cannot decode image: " + e));
      }
    }
    for (List<Prepared> group : bySize.values()) {
      for (int start = 0; start < group.size(); start += batchSize) {
        inferBatch(group.subList(start, Math.min(group.size(), start + batchSize)), task, results);
      }
    }
    return results;
  }

  /**
   * Decodes and preprocesses one image on the calling thread (so callers can overlap it with another
   * batch's forward pass); a bad image becomes {@code task.failed(...)} in the returned {@link Decoded}.
   */
  public <R> Decoded<R> decode(int index, ImageInput in, Task<?, R> task) {
    try {
      return new Decoded<>(prepare(index, in), null);
    } catch (ImageDecodeException e) {
      return new Decoded<>(null, task.failed(in.path(), null, null, e.getMessage()));
    } catch (RuntimeException e) {
      return new Decoded<>(null, task.failed(in.path(), null, null, in.path() + ": cannot decode image: " + e));
    }
  }

  /**
   * As {@link #decode(int, ImageInput, Task)}, writing the preprocessed pixels once into memory from
   * {@code memory} (which may block until there is room) instead of a float[]. A failure after allocation
   * frees it; on success the caller owns {@code prepared().offHeap()}.
   */
  public <R> Decoded<R> decode(int index, ImageInput in, Task<?, R> task, PixelMemory memory)
      throws InterruptedException {
    RgbImage image;
    try {
      long t0 = System.nanoTime();
      image = decoder.read(in.path(), in.bytes());
      timings.add(Stage.DECODE, System.nanoTime() - t0);
    } catch (ImageDecodeException e) {
      return new Decoded<>(null, task.failed(in.path(), null, null, e.getMessage()));
    } catch (RuntimeException e) {
      return new Decoded<>(null, task.failed(in.path(), null, null, in.path() + ": cannot decode image: " + e));
    }
    return preprocess(index, new DecodedImage(in.path(), image), task, memory);
  }

  /**
   * The preprocessing half of {@link #decode(int, ImageInput, Task, PixelMemory)}, for an image decoded
   * elsewhere (a video frame): its pixels written once into memory from {@code memory}, same contract. On a
   * device that resizes, an image within {@link #DEVICE_RESAMPLE_MAX_RATIO} is written as decoded and resized
   * there, unless {@code memory} refuses its decoded bytes (more than it can ever hold); any other is resized
   * here.
   */
  public <R> Decoded<R> preprocess(int index, DecodedImage decoded, Task<?, R> task, PixelMemory memory)
      throws InterruptedException {
    String path = decoded.path();
    RgbImage image = decoded.image();
    ImagePreprocessor.Size size;
    ByteResample.Windowed onDevice = null;
    PixelMemory.Pixels pixels;
    try {
      size = preprocessor.outputSize(image.height(), image.width());
      if (resampleOnDevice) {
        onDevice = preprocessor.deviceResamplePlan(image.height(), image.width(), DEVICE_RESAMPLE_MAX_RATIO);
        onDevice = onDevice == null || onDevice.resample().isCopy() ? null : onDevice;
      }
      pixels = null;
      if (onDevice != null) {
        try {
          pixels = memory.allocateBytes(path, onDevice.window().bytes());
        } catch (RuntimeException e) {
          onDevice = null; // never fits as decoded (a small --queue-bytes): resized here, it may
        }
      }
      if (pixels == null) {
        long bytes = 3L * size.height() * size.width();
        if (bytes > Integer.MAX_VALUE - 8) {
          throw new IllegalArgumentException("preprocessed size " + size + " is too large");
        }
        pixels = memory.allocateBytes(path, (int) bytes);
      }
    } catch (RuntimeException e) {
      return new Decoded<>(null, task.failed(path, image.width(), image.height(),
          path + ": no memory for the preprocessed image: " + e.getMessage()));
    }
    try {
      long t1 = System.nanoTime();
      if (onDevice != null) {
        onDevice.window().copy(image.rgb(), 0, image.width(), pixels.buffer().duplicate().clear());
      } else {
        preprocessor.resizeAndCropInto(image, pixels.buffer());
      }
      pixels.written();
      timings.add(Stage.PREPROCESS, System.nanoTime() - t1);
      return new Decoded<>(
          new Prepared(index, path, image.width(), image.height(), size, null, pixels,
              onDevice == null ? null : onDevice.resample()), null);
    } catch (RuntimeException e) {
      pixels.close(); // half-built: give the memory back
      return new Decoded<>(null, task.failed(path, image.width(), image.height(),
          path + ": cannot preprocess image: " + e));
    }
  }

  /** Either a prepared image or the failed result that replaces it. */
  public record Decoded<R>(Prepared prepared, R failure) {}

  /**
   * Runs already prepared images (any sizes, any count) through forward passes of at most
   * {@code batchSize}; results are in the order of {@code prepared}, whatever their {@code index}.
   */
  public <O, R> List<R> runPrepared(List<Prepared> prepared, int batchSize, Task<O, R> task) {
    List<Prepared> renumbered = new ArrayList<>(prepared.size());
    Map<ImagePreprocessor.Size, List<Prepared>> bySize = new LinkedHashMap<>();
    for (int i = 0; i < prepared.size(); i++) {
      Prepared q = prepared.get(i).withIndex(i);
      renumbered.add(q);
      bySize.computeIfAbsent(q.size(), s -> new ArrayList<>()).add(q);
    }
    List<R> results = new ArrayList<>(Collections.nCopies(renumbered.size(), null));
    for (List<Prepared> group : bySize.values()) {
      for (int start = 0; start < group.size(); start += batchSize) {
        inferBatch(group.subList(start, Math.min(group.size(), start + batchSize)), task, results);
      }
    }
    return results;
  }

  /** An image decoded elsewhere (e.g. a video frame); {@code path} names it in results. */
  public record DecodedImage(String path, RgbImage image) {}

  /**
   * As {@link #run}, for images already decoded (video frames): preprocess -> batches -> results in the order
   * and size of {@code images}; a failure becomes {@code task.failed(...)}.
   */
  public <O, R> List<R> runDecoded(List<DecodedImage> images, int batchSize, Task<O, R> task) {
    List<R> results = new ArrayList<>(Collections.nCopies(images.size(), null));
    List<Prepared> prepared = new ArrayList<>(images.size());
    List<Integer> positions = new ArrayList<>(images.size());
    for (int i = 0; i < images.size(); i++) {
      DecodedImage d = images.get(i);
      try {
        long t0 = System.nanoTime();
        RgbImage image = d.image();
        float[] pixels = preprocessor.preprocess(image);
        ImagePreprocessor.Size size = preprocessor.outputSize(image.height(), image.width());
        timings.add(Stage.PREPROCESS, System.nanoTime() - t0);
        prepared.add(new Prepared(i, d.path(), image.width(), image.height(), size, pixels));
        positions.add(i);
      } catch (RuntimeException e) {
        results.set(i, task.failed(d.path(), d.image().width(), d.image().height(),
            d.path() + ": cannot preprocess image: " + e));
      }
    }
    List<R> inferred = runPrepared(prepared, batchSize, task);
    for (int j = 0; j < positions.size(); j++) {
      results.set(positions.get(j), inferred.get(j));
    }
    return results;
  }

  private Prepared prepare(int index, ImageInput in) {
    long t0 = System.nanoTime();
    RgbImage image = decoder.read(in.path(), in.bytes());
    long t1 = System.nanoTime();
    timings.add(Stage.DECODE, t1 - t0);
    float[] pixels = preprocessor.preprocess(image);
    ImagePreprocessor.Size size = preprocessor.outputSize(image.height(), image.width());
    timings.add(Stage.PREPROCESS, System.nanoTime() - t1);
    return new Prepared(index, in.path(), image.width(), image.height(), size, pixels);
  }

  private <O, R> void inferBatch(List<Prepared> batch, Task<O, R> task, List<R> results) {
    ImagePreprocessor.Size size = batch.get(0).size();
    O out;
    try {
      out = forwardExclusive(task, batch, size);
    } catch (RuntimeException e) {
      if (batch.size() > 1) {
        // Halves, not singles: an out-of-memory batch usually fits at half the size, and a bad image is
        // still isolated after log2(batch) splits.
        int half = batch.size() / 2;
        LOG.warn("forward pass of a batch of {} failed ({}); retrying as {} + {}", batch.size(), e.toString(),
            half, batch.size() - half);
        inferBatch(batch.subList(0, half), task, results);
        inferBatch(batch.subList(half, batch.size()), task, results);
        return;
      }
      Prepared p = batch.get(0);
      results.set(p.index(), task.failed(p.path(), p.width(), p.height(), p.path() + ": inference failed: " + e));
      return;
    }
    long t1 = System.nanoTime();
    for (int i = 0; i < batch.size(); i++) {
      Prepared p = batch.get(i);
      try {
        results.set(p.index(), task.result(p, out, i));
      } catch (RuntimeException e) {
        results.set(p.index(),
            task.failed(p.path(), p.width(), p.height(), p.path() + ": postprocessing failed: " + e));
      }
    }
    timings.add(Stage.POSTPROCESS, System.nanoTime() - t1);
  }

  /** One forward pass; off-heap images go to the task as their buffers, others stacked into one float[]. */
  private <O> O forwardExclusive(Task<O, ?> task, List<Prepared> batch, ImagePreprocessor.Size size) {
    boolean offHeap = batch.stream().allMatch(p -> p.offHeap() != null);
    List<ByteBuffer> buffers = new ArrayList<>(batch.size());
    List<ByteResample> resamples = new ArrayList<>(batch.size());
    float[] stacked = null;
    if (offHeap) {
      for (Prepared p : batch) {
        buffers.add(p.offHeap().buffer().duplicate().clear());
        resamples.add(p.deviceResample());
      }
    } else {
      int per = 3 * size.height() * size.width();
      stacked = new float[per * batch.size()];
      for (int i = 0; i < batch.size(); i++) {
        Prepared p = batch.get(i);
        if (p.pixels() != null) {
          System.arraycopy(p.pixels(), 0, stacked, i * per, per);
        } else {
          Backend.mapBytes(p.deviceResample().output(p.offHeap().buffer().duplicate().clear()), channelValues, 3,
              stacked, i * per);
        }
      }
    }
    long t0 = System.nanoTime();
    forwardLock.lock();
    try {
      return offHeap
          ? task.forward(buffers, resamples, channelValues, batch, size.height(), size.width())
          : task.forward(stacked, batch, size.height(), size.width());
    } finally {
      forwardLock.unlock();
      timings.add(Stage.INFERENCE, System.nanoTime() - t0);
    }
  }
}
