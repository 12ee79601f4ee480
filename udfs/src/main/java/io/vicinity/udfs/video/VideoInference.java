package io.vicinity.udfs.video;

import io.vicinity.kernels.Backend;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.OnBackend;
import io.vicinity.udfs.TopK;
import io.vicinity.udfs.hf.HfModelDir;
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

  private VideoInference(String modelName, InferenceOptions options, VideoAttention attention,
      VideoPreprocessing preprocessing, Backend backend, VideoMaeModel model) {
    this.modelName = modelName;
    this.options = options;
    this.attention = attention;
    this.preprocessing = preprocessing;
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

  /** The attention the encoder runs (for output rows). */
  public VideoAttention attention() {
    return attention;
  }

  /** Processes clips; the result list has the same order and size as the input. */
  public List<ClipResult> run(List<VideoClip> clips) {
    ClipResult[] results = new ClipResult[clips.size()];
    // Clips of equal frame count and preprocessed size can share a forward pass.
    Map<List<Integer>, List<Prepared>> byShape = new LinkedHashMap<>();
    for (int i = 0; i < clips.size(); i++) {
      VideoClip clip = clips.get(i);
      try {
        Prepared p = prepare(i, clip);
        byShape.computeIfAbsent(List.of(clip.frames(), p.height, p.width), s -> new ArrayList<>()).add(p);
      } catch (RuntimeException e) {
        results[i] = ClipResult.failed(clip.id(), clip.id() + ": cannot preprocess clip: " + e.getMessage());
      }
    }
    for (List<Prepared> group : byShape.values()) {
      for (int start = 0; start < group.size(); start += options.batchSize()) {
        inferBatch(group.subList(start, Math.min(group.size(), start + options.batchSize())), results);
      }
    }
    return Arrays.asList(results);
  }

  /** A preprocessed clip waiting for its forward pass: float [frames, height, width, 3]. */
  private record Prepared(int index, String id, int frames, int height, int width, float[] pixels) {}

  private Prepared prepare(int index, VideoClip clip) {
    if (clip.pixels() != null) {
      return new Prepared(index, clip.id(), clip.frames(), clip.height(), clip.width(), clip.pixels());
    }
    var size = preprocessing.outputSize(clip.height(), clip.width());
    float[] pixels = preprocessing.preprocess(clip.rgb(), clip.frames(), clip.height(), clip.width());
    return new Prepared(index, clip.id(), clip.frames(), size.height(), size.width(), pixels);
  }

  private void inferBatch(List<Prepared> batch, ClipResult[] results) {
    Prepared first = batch.get(0);
    int per = first.pixels.length;
    float[] stacked = new float[Math.multiplyExact(per, batch.size())];
    for (int i = 0; i < batch.size(); i++) {
      System.arraycopy(batch.get(i).pixels, 0, stacked, i * per, per);
    }
    VideoMaeModel.Output out;
    try {
      out = forwardExclusive(stacked, batch.size(), first);
    } catch (RuntimeException e) {
      if (batch.size() > 1) {
        LOG.warn("forward pass of a batch of {} clips failed ({}); retrying one clip at a time", batch.size(),
            e.toString());
        for (Prepared p : batch) {
          inferBatch(List.of(p), results);
        }
        return;
      }
      results[first.index] = ClipResult.failed(first.id, first.id + ": inference failed: " + e.getMessage());
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      Prepared p = batch.get(i);
      float[] logits = out.logits() == null ? null : out.logits()[i];
      results[p.index] = new ClipResult(p.id, out.pooled()[i], TopK.of(model.labels(), logits, options.topK()), options.emitLogits() ? logits : null,
          out.positionsExtended(), out.attentionDensity(), null);
    }
  }

  private VideoMaeModel.Output forwardExclusive(float[] pixels, int batch, Prepared shape) {
    int size = model.config().imageSize();
    if (shape.height != size || shape.width != size) {
      throw new IllegalArgumentException("frames are " + shape.width + "x" + shape.height + " after preprocessing,"
          + " the model needs " + size + "x" + size);
    }
    forwardLock.lock();
    try {
      return model.forward(pixels, batch, shape.frames, attention, false);
    } finally {
      forwardLock.unlock();
    }
  }

  @Override
  public void close() {
    model.close();
    backend.close();
  }
}
