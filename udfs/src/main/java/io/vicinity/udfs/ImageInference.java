package io.vicinity.udfs;

import java.nio.file.Path;
import java.util.List;

/**
 * The plain-Java entry point: load a Hugging Face model directory once, then turn encoded images into
 * {@link ImageResult}s. A bad image never throws: it yields a result with {@code error} set. A bad model
 * directory throws {@link ModelLoadException} from {@link #open}. Thread-safe.
 */
public final class ImageInference implements AutoCloseable {

  private ImageInference() {}

  public static ImageInference open(Path modelDir, InferenceOptions options) {
    throw new UnsupportedOperationException("being written: ImageInference.open");
  }

  /** The model's name for output rows (the directory's name). */
  public String modelName() {
    throw new UnsupportedOperationException("being written");
  }

  /** True when the checkpoint has a classifier (top_k and logits are produced). */
  public boolean hasClassifier() {
    throw new UnsupportedOperationException("being written");
  }

  /** One line for logs: backend, device, dtype. */
  public String backendDescription() {
    throw new UnsupportedOperationException("being written");
  }

  /** Processes a list of images; the result list has the same order and size as the input. */
  public List<ImageResult> run(List<ImageInput> inputs) {
    throw new UnsupportedOperationException("being written");
  }

  @Override
  public void close() {}
}
