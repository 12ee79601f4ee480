package io.vicinity.udfs.video;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.DeviceUsage;
import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.OnBackend;
import io.vicinity.udfs.PixelMemory;
import io.vicinity.udfs.TopK;
import io.vicinity.udfs.hf.HfModelDir;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plain-Java entry point for video: load a VideoMAE directory once, then turn decoded clips into
 * {@link ClipResult}s (embeddings, and top-k / logits with a classifier). Frames are preprocessed like images
 * (the checkpoint's preprocessor_config.json, per frame). A bad clip never throws: its result carries the
 * error. A bad model directory throws {@link ModelLoadException} from {@link #open}. Thread-safe: forward
 * passes run one at a time (the backend parallelises inside).
 */
public final class VideoInference implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VideoInference.class);

  private final String modelName;
  private final InferenceOptions options;
  private final VideoAttention attention;
  private final VideoPreprocessing preprocessing;
  private final Backend backend;
  private final VideoMaeModel model;
  private final ReentrantLock forwardLock = new ReentrantLock();
  /**
   * Decoded frames go to the device to be resized there when the window of each frame that the resize and crop
   * read has at most this many times the pixels of the resized frame. A pass holds all its clips' windows (200 MB
   * for 8 clips of 16 frames at 1280 x 720, whose 224 px center crop reads 724 of the 1280 columns: 10.4 times
   * a 224 px frame; 450 MB at 1920 x 1080, 23.4 times), so the bound is lower than images'
   * ({@link ImagePipeline#DEVICE_RESAMPLE_MAX_RATIO}). 1080p on the GPU rather than the decoding threads: 41 ->
   * 51 clips/s in the video job (docs/BENCHMARKS.md).
   */
  static final int DEVICE_RESAMPLE_MAX_RATIO = 32;

  private final DeviceUsage usage = new DeviceUsage();
  /** The preprocessor's rescale + normalize per channel and byte, applied to decoded clips on the device. */
  private final float[] channelValues;

  private VideoInference(String modelName, InferenceOptions options, VideoAttention attention,
      VideoPreprocessing preprocessing, Backend backend, VideoMaeModel model) {
    this.modelName = modelName;
    this.options = options;
    this.attention = attention;
    this.preprocessing = preprocessing;
    this.channelValues = preprocessing.channelValues();
    this.backend = backend;
    this.model = model;
  }

  /** Loads the model directory onto the chosen backend; fails fast on anything missing or mismatched. */
  public static VideoInference open(Path modelDir, InferenceOptions options, VideoAttention attention) {
    try (HfModelDir dir = HfModelDir.open(modelDir)) {
      if (dir.preprocessorConfig() == null) {
        throw new ModelLoadException(modelDir + ": missing preprocessor_config.json (needed to resize and "
            + "normalise frames as the checkpoint expects)");
      }
      VideoPreprocessing pre;
      try {
        pre = VideoPreprocessing.fromJson(dir.preprocessorConfig());
      } catch (IllegalArgumentException e) {
        throw new ModelLoadException(modelDir + ": preprocessor_config.json: " + e.getMessage(), e);
      }
      OnBackend<VideoMaeModel> loaded =
          OnBackend.load(options.backend(), options.precision(), 0, backend -> VideoMaeModel.load(dir, backend));
      Backend backend = loaded.backend();
      LOG.info("loaded {} ({}) on {}, attention {}", dir.name(), dir.architecture(), backend.describe(), attention);
      return new VideoInference(dir.name(), options, attention, pre, backend, loaded.model());
    }
  }

  public String modelName() {
    return modelName;
  }

  public boolean hasClassifier() {
    return model.hasClassifier();
  }

  public VideoMaeConfig config() {
    return model.config();
  }

  /** The forward passes run so far (one at a time: their wall time is the device's busy time). */
  public DeviceUsage usage() {
    return usage;
  }

  /** The attention the encoder runs (for output rows). */
  public VideoAttention attention() {
    return attention;
  }

  /**
   * The part of each decoded {@code height} x {@code width} frame the preprocessing reads, when that is less than
   * the whole frame: a decoder need convert and keep only this window (clips of such frames say so,
   * {@link VideoClip#ofFrames(String, int, int, ByteResample.Window, List)}); null: the whole frame.
   */
  public ByteResample.Window framesWindow(int height, int width) {
    return preprocessing.framesWindow(height, width);
  }

  /** Processes clips; the result list has the same order and size as the input. Pixels wait on the heap. */
  public List<ClipResult> run(List<VideoClip> clips) {
    try {
      return run(clips, null);
    } catch (InterruptedException e) {
      throw new IllegalStateException("unreachable: only a PixelMemory waits", e);
    }
  }

  /**
   * As {@link #run(List)}, with the preprocessed pixels of each forward pass written once into one allocation
   * from {@code memory} (off the heap, may block until there is room; null: a buffer of its own), read in
   * place by the backend and freed right after the pass. Decoded clips wait as bytes, which the backend maps to
   * the model's input on the device: on a GPU their frames as decoded, resized there (up to
   * {@link #DEVICE_RESAMPLE_MAX_RATIO} times the resized frame's pixels), else as resized on this thread. A thread holds at most one allocation and takes it holding none, so threads sharing a bounded {@code memory}
   * cannot deadlock on it.
   */
  public List<ClipResult> run(List<VideoClip> clips, PixelMemory memory) throws InterruptedException {
    ClipResult[] results = new ClipResult[clips.size()];
    // Clips of equal frame count and preprocessed size can share a forward pass.
    Map<List<Integer>, List<Shaped>> byShape = new LinkedHashMap<>();
    for (int i = 0; i < clips.size(); i++) {
      VideoClip clip = clips.get(i);
      try {
        Shaped s = shape(i, clip);
        byShape.computeIfAbsent(s.passKey(), k -> new ArrayList<>()).add(s);
      } catch (RuntimeException e) {
        results[i] = ClipResult.failed(clip.id(), clip.id() + ": cannot preprocess clip: " + e.getMessage());
      }
    }
    for (List<Shaped> group : byShape.values()) {
      for (int start = 0; start < group.size(); start += options.batchSize()) {
        inferBatch(group.subList(start, Math.min(group.size(), start + options.batchSize())), results, memory);
      }
    }
    return Arrays.asList(results);
  }

  /**
   * A clip, the size of its frames after preprocessing and, for a decoded clip, the resample its frames get on
   * the device: the preprocessor's resize and crop when the backend runs it on the window of each decoded frame
   * it reads ({@code deviceWindow}, the part that goes up), else an identity over frames resized on the host.
   * Model-ready clips have none.
   */
  private record Shaped(int index, VideoClip clip, int height, int width, ByteResample resample,
      ByteResample.Window deviceWindow) {
    /** What the pass holds of the clip: float32 values, or bytes (decoded or resized frames). */
    int stored() {
      long perFrame = resample == null ? (long) height * width * 3 : resample.sourceBytes();
      return Math.toIntExact(clip.frames() * perFrame);
    }

    /**
     * Clips that can share a pass: equal frame counts and preprocessed sizes, and the same form (model-ready
     * floats, frames resized on the host, or decoded frames of one size).
     */
    List<Integer> passKey() {
      int form = resample == null ? 0 : deviceWindow != null ? 2 : 1;
      return List.of(clip.frames(), height, width, form, deviceWindow != null ? clip.height() : 0,
          deviceWindow != null ? clip.width() : 0);
    }
  }

  private Shaped shape(int index, VideoClip clip) {
    if (clip.pixels() != null) {
      return new Shaped(index, clip, clip.height(), clip.width(), null, null);
    }
    var size = preprocessing.outputSize(clip.height(), clip.width());
    if (clip.window() != null) {
      preprocessing.windowPlan(clip); // frames holding another window than the one read cannot be resized
    }
    ByteResample.Windowed plan = backend.isHost() ? null
        : preprocessing.deviceResamplePlan(clip.height(), clip.width(), DEVICE_RESAMPLE_MAX_RATIO);
    if (plan != null) {
      return new Shaped(index, clip, size.height(), size.width(), plan.resample(), plan.window());
    }
    return new Shaped(index, clip, size.height(), size.width(),
        ByteResample.crop(size.height(), size.width(), 0, 0, size.height(), size.width()), null);
  }

  private void inferBatch(List<Shaped> batch, ClipResult[] results, PixelMemory memory)
      throws InterruptedException {
    Shaped first = batch.get(0);
    int per = first.stored();
    Stacked pixels;
    try {
      pixels = Stacked.allocate(memory, first.clip().id(), Math.multiplyExact(per, batch.size()),
          first.resample() != null);
    } catch (RuntimeException e) {
      if (batch.size() > 1) {
        // Halves: a batch larger than the memory's limit usually fits at half the size.
        int half = batch.size() / 2;
        LOG.warn("no memory for a batch of {} clips ({}); retrying as {} + {}", batch.size(), e.getMessage(), half,
            batch.size() - half);
        inferBatch(batch.subList(0, half), results, memory);
        inferBatch(batch.subList(half, batch.size()), results, memory);
        return;
      }
      results[first.index()] = ClipResult.failed(first.clip().id(),
          first.clip().id() + ": no memory for the preprocessed clip: " + e.getMessage());
      return;
    }
    List<Shaped> written = new ArrayList<>(batch.size());
    VideoMaeModel.Output out = null;
    RuntimeException failure = null;
    try (pixels) {
      for (Shaped c : batch) {
        try {
          pixels.write(written.size() * per, per, c, preprocessing);
          written.add(c);
        } catch (RuntimeException e) {
          results[c.index()] = ClipResult.failed(c.clip().id(),
              c.clip().id() + ": cannot preprocess clip: " + e.getMessage());
        }
      }
      if (written.isEmpty()) {
        return;
      }
      pixels.written();
      try {
        out = forwardExclusive(pixels, written.size() * per, written.size(), first);
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    if (failure != null) {
      // Retried once the pixels are freed: the retries allocate their own.
      if (written.size() > 1) {
        LOG.warn("forward pass of a batch of {} clips failed ({}); retrying one clip at a time", written.size(),
            failure.toString());
        for (Shaped p : written) {
          inferBatch(List.of(p), results, memory);
        }
        return;
      }
      Shaped p = written.get(0);
      results[p.index()] = ClipResult.failed(p.clip().id(), p.clip().id() + ": inference failed: "
          + failure.getMessage());
      return;
    }
    for (int i = 0; i < written.size(); i++) {
      Shaped p = written.get(i);
      float[] logits = out.logits() == null ? null : out.logits()[i];
      results[p.index()] = new ClipResult(p.clip().id(), out.pooled()[i],
          TopK.of(model.labels(), logits, options.topK()), options.emitLogits() ? logits : null,
          out.positionsExtended(), out.attentionDensity(), null);
    }
  }

  /** The first {@code stored} values or bytes of {@code pixels} as {@code batch} clips shaped like {@code shape}. */
  private VideoMaeModel.Output forwardExclusive(Stacked pixels, int stored, int batch, Shaped shape) {
    int size = model.config().imageSize();
    if (shape.height() != size || shape.width() != size) {
      throw new IllegalArgumentException("frames are " + shape.width() + "x" + shape.height()
          + " after preprocessing, the model needs " + size + "x" + size);
    }
    forwardLock.lock();
    long start = System.nanoTime();
    try {
      return pixels.forward(model, stored, batch, shape.clip().frames(), attention, shape.resample(), channelValues);
    } finally {
      usage.record(batch, System.nanoTime() - start);
      forwardLock.unlock();
    }
  }

  /**
   * The clips of one forward pass, stacked: decoded clips as bytes, their frames as decoded or as resized on the
   * host, which the backend resamples and maps to the model's values on the device; model-ready clips as
   * float32. Either is one allocation from a {@link PixelMemory} that the backend reads in place, or, without
   * one, a direct buffer (bytes) or a float[] on the heap.
   */
  private static final class Stacked implements AutoCloseable {
    private final float[] heap;
    private final ByteBuffer buffer; // bytes or little-endian float32; null for heap
    private final PixelMemory.Pixels offHeap;
    private final boolean bytes;

    private Stacked(float[] heap, ByteBuffer buffer, PixelMemory.Pixels offHeap, boolean bytes) {
      this.heap = heap;
      this.buffer = buffer;
      this.offHeap = offHeap;
      this.bytes = bytes;
    }

    static Stacked allocate(PixelMemory memory, String id, int count, boolean bytes) throws InterruptedException {
      if (memory != null) {
        PixelMemory.Pixels p = bytes ? memory.allocateBytes(id, count) : memory.allocate(id, count);
        return new Stacked(null, p.buffer(), p, bytes);
      }
      return bytes ? new Stacked(null, ByteBuffer.allocateDirect(count), null, true)
          : new Stacked(new float[count], null, null, false);
    }

    /** Writes {@code clip}'s {@code count} values or bytes from {@code at}: copied, or resized on the host. */
    void write(int at, int count, Shaped clip, VideoPreprocessing preprocessing) {
      VideoClip c = clip.clip();
      if (heap != null) {
        System.arraycopy(c.pixels(), 0, heap, at, count); // only model-ready clips wait on the heap
        return;
      }
      int size = bytes ? 1 : 4;
      ByteBuffer slot = buffer.duplicate().clear().position(size * at).limit(size * (at + count)).slice()
          .order(ByteOrder.LITTLE_ENDIAN);
      if (!bytes) {
        slot.asFloatBuffer().put(c.pixels());
      } else if (clip.deviceWindow() != null) {
        for (byte[] frame : c.rgbFrames()) {
          if (c.window() != null) {
            slot.put(frame); // the frame is the window already
          } else {
            clip.deviceWindow().copy(frame, 0, c.width(), slot);
          }
        }
      } else {
        preprocessing.resizeAndCropInto(c, slot);
      }
    }

    /** Every clip is written; the backend may read. */
    void written() {
      if (offHeap != null) {
        offHeap.written();
      }
    }

    /** A forward pass over the first {@code count} values or bytes (fewer than allocated when a clip failed). */
    VideoMaeModel.Output forward(VideoMaeModel model, int count, int batch, int frames, VideoAttention attention,
        ByteResample resample, float[] channelValues) {
      if (heap != null) {
        float[] pixels = count == heap.length ? heap : Arrays.copyOf(heap, count);
        return model.forward(pixels, batch, frames, attention, false);
      }
      if (bytes) {
        ByteBuffer frameBytes = buffer.duplicate().clear().limit(count);
        return model.forward(List.of(frameBytes), resample, channelValues, batch, frames, attention, false);
      }
      return model.forward(buffer.duplicate().clear().limit(4 * count), batch, frames, attention, false);
    }

    @Override
    public void close() {
      if (offHeap != null) {
        offHeap.close();
      }
    }
  }

  @Override
  public void close() {
    model.close();
    backend.close();
  }
}
