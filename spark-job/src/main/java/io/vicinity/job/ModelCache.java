package io.vicinity.job;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model per executor JVM and device, shared by all task threads and reused across tasks and
 * stages (the library's models are thread-safe), and for classify and segment one {@link BatchQueue} in
 * front of it through which the task threads share full batches ({@link #shared}), or for video clips
 * Arrow pixel memory without a queue ({@link #memory}). Segmentation and video models are cached the same
 * way ({@link #get(Object, Function)}, keyed by their own records). Loading reads every weight and may
 * upload them to the GPU, so it happens lazily, once per key; concurrent first callers wait for that one
 * load. Closed when the JVM exits: queues first (so no batch is mid-flight), then pixel memory, then models.
 */
final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);

  /**
   * What makes two loaded models different.
   *
   * @param backend "cpu" or "cuda" (already decided, see {@link GpuAssignment})
   * @param device CUDA ordinal (0 on the CPU)
   */
  record Key(String modelDir, InferenceOptions options, int device, long maxImagePixels) {
    String backend() {
      return options.backend();
    }
  }

  /** Limits of the shared queue (see {@link BatchQueue}). */
  record QueueLimits(long batchBytes, long queueBytes, int lingerMillis) {}

  /** A model, the queue in front of it, and the Arrow memory its queued images live in. */
  record Shared<M, R>(M model, BatchQueue<ImagePipeline.Prepared, R> queue, ArrowPixelMemory memory) {}

  /** Every loaded model, of any kind, by its key record. */
  private static final ConcurrentHashMap<Object, AutoCloseable> MODELS = new ConcurrentHashMap<>();
  /** By the model's key record, like MODELS. */
  private static final ConcurrentHashMap<Object, Shared<?, ?>> SHARED = new ConcurrentHashMap<>();
  /** Pixel memory of tasks without a queue (video clips), by name and limit. */
  private static final ConcurrentHashMap<MemoryKey, ArrowPixelMemory> MEMORY = new ConcurrentHashMap<>();

  private record MemoryKey(String name, long limitBytes) {}

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ModelCache::closeAll, "vicinity-model-cache-close"));
  }

  private ModelCache() {}

  /** The model for this directory and options on the default device, loaded on first use. */
  static ImageInference get(String modelDir, InferenceOptions options) {
    return get(new Key(modelDir, options, 0, io.vicinity.udfs.image.ImageDecoder.DEFAULT_MAX_PIXELS));
  }

  /**
   * The model for {@code key}, loaded on first use. computeIfAbsent makes concurrent first callers wait
   * for one load instead of each loading a copy; a failed load is not cached.
   */
  static ImageInference get(Key key) {
    return get(key, ModelCache::load);
  }

  /**
   * The model for {@code key} (a record whose equality says "same model, same options"), made by
   * {@code loader} on first use; same once-per-key guarantee as {@link #get(Key)}.
   */
  @SuppressWarnings("unchecked")
  static <K, M extends AutoCloseable> M get(K key, Function<K, M> loader) {
    return (M) MODELS.computeIfAbsent(key, k -> {
      long start = System.nanoTime();
      M model = loader.apply((K) k);
      // "Loaded model" is what operators (and the cluster integration tests) look for in executor logs.
      LOG.info("Loaded model {} in {} ms", k, (System.nanoTime() - start) / 1_000_000);
      return model;
    });
  }

  /** The classify model for {@code key} and its shared batch queue, both created on first use. */
  static Shared<ImageInference, ImageResult> shared(Key key, QueueLimits limits) {
    return shared(key, "vicinity-batches-" + key.backend() + key.device(), key.options().batchSize(), limits,
        ModelCache::load, ImageInference::infer);
  }

  /**
   * The model for {@code key} (loaded by {@code loader} through {@link #get(Object, Function)}) and a
   * queue named {@code name} in front of it that runs batches of up to {@code batch} images with
   * {@code infer}, both created on first use.
   */
  @SuppressWarnings("unchecked")
  static <K, M extends AutoCloseable, R> Shared<M, R> shared(K key, String name, int batch, QueueLimits limits,
      Function<K, M> loader, BiFunction<M, List<ImagePipeline.Prepared>, List<R>> infer) {
    return (Shared<M, R>) SHARED.computeIfAbsent(key, k -> {
      M model = get(key, loader);
      // The bytes of waiting and running images are bounded by this allocator's limit, not by the queue:
      // with --queue-bytes of two batches or more, one batch forms while the previous one runs.
      ArrowPixelMemory memory =
          new ArrowPixelMemory(ArrowPixelMemory.executorRoot(), name + "-pixels", limits.queueBytes());
      BatchQueue<ImagePipeline.Prepared, R> queue = new BatchQueue<>(
          name, batch, limits.batchBytes(), 2 * batch, Long.MAX_VALUE, limits.lingerMillis(),
          TimeUnit.MILLISECONDS, items -> infer.apply(model, items), p -> p.offHeap().close());
      return new Shared<>(model, queue, memory);
    });
  }

  /**
   * Arrow pixel memory named {@code name} that never holds more than {@code limitBytes}, for work that runs on
   * the task thread without a queue; created on first use, closed at exit.
   */
  static ArrowPixelMemory memory(String name, long limitBytes) {
    return MEMORY.computeIfAbsent(new MemoryKey(name, limitBytes),
        k -> new ArrowPixelMemory(ArrowPixelMemory.executorRoot(), k.name(), k.limitBytes()));
  }

  /** The model and queue for {@code key} if a task has opened them (null otherwise), e.g. for leak checks. */
  static Shared<?, ?> sharedIfOpen(Object key) {
    return SHARED.get(key);
  }

  private static ImageInference load(Key key) {
    ImageInference model = ImageInference.open(
        ModelDirectory.local(key.modelDir()), key.options(), key.device(), key.maxImagePixels());
    LOG.info("Model {} from {} on {}", model.modelName(), key.modelDir(), model.backendDescription());
    return model;
  }

  private static void close(ArrowPixelMemory memory) {
    try {
      memory.close();
    } catch (RuntimeException e) {
      LOG.error("pixel memory leaked: {}", e.getMessage());
    }
  }

  private static void closeAll() {
    for (Shared<?, ?> s : SHARED.values()) {
      s.queue().close(); // waits for the running batch; releases every image still queued
      close(s.memory());
    }
    SHARED.clear();
    MEMORY.values().forEach(ModelCache::close);
    MEMORY.clear();
    for (AutoCloseable model : MODELS.values()) {
      try {
        model.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", model, e);
      }
    }
    MODELS.clear();
  }
}
