package io.vicinity.job;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.InferenceOptions;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model per executor JVM, shared by all task threads (ImageInference is thread-safe).
 * Loading reads every weight and may upload them to the GPU, so it happens once per model directory and
 * options, not once per partition. Models are closed when the JVM exits.
 */
final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);

  private record Key(String modelDir, InferenceOptions options) {}

  private static final ConcurrentHashMap<Key, ImageInference> MODELS = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ModelCache::closeAll, "vicinity-model-cache-close"));
  }

  private ModelCache() {}

  /**
   * The model for this directory and options, loaded on first use. computeIfAbsent makes concurrent
   * first callers wait for one load instead of each loading a copy; a failed load is not cached.
   */
  static ImageInference get(String modelDir, InferenceOptions options) {
    return MODELS.computeIfAbsent(new Key(modelDir, options), ModelCache::load);
  }

  private static ImageInference load(Key key) {
    long start = System.nanoTime();
    ImageInference model = ImageInference.open(Path.of(key.modelDir()), key.options());
    LOG.info("Loaded model {} from {} in {} ms on {}",
        model.modelName(), key.modelDir(), (System.nanoTime() - start) / 1_000_000,
        model.backendDescription());
    return model;
  }

  private static void closeAll() {
    MODELS.values().forEach(ImageInference::close);
    MODELS.clear();
  }
}
