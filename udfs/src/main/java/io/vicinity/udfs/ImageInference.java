package io.vicinity.udfs;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.BackendOptions;
import io.vicinity.kernels.ByteResample;
import io.vicinity.udfs.dinat.DinatModel;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.image.ImageDecoder;
import io.vicinity.udfs.image.ImagePreprocessor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plain-Java entry point: load a Hugging Face model directory once, then turn encoded images into
 * {@link ImageResult}s. A bad image never throws: it yields a result with {@code error} set. A bad model
 * directory throws {@link ModelLoadException} from {@link #open}. Thread-safe: decoding and preprocessing
 * run on the calling threads, forward passes one at a time (the backend parallelises inside); see
 * {@link ImagePipeline}.
 */
public final class ImageInference implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImageInference.class);

  private final String modelName;
  private final InferenceOptions options;
  private final ImagePipeline pipeline;
  private final Backend backend;
  private final DinatModel model;

  private ImageInference(String modelName, InferenceOptions options, ImagePipeline pipeline, Backend backend,
      DinatModel model) {
    this.modelName = modelName;
    this.options = options;
    this.pipeline = pipeline;
    this.backend = backend;
    this.model = model;
  }

  /** Loads the model directory onto the chosen backend; fails fast on anything missing or mismatched. */
  public static ImageInference open(Path modelDir, InferenceOptions options) {
    return open(modelDir, options, BackendOptions.DEFAULTS.device(), ImageDecoder.DEFAULT_MAX_PIXELS);
  }

  /**
   * As {@link #open(Path, InferenceOptions)}, on GPU ordinal {@code device} (ignored by the CPU backend),
   * refusing images whose header claims more than {@code maxPixels} pixels.
   */
  public static ImageInference open(Path modelDir, InferenceOptions options, int device, long maxPixels) {
    try (HfModelDir dir = HfModelDir.open(modelDir)) {
      ImagePreprocessor preprocessor = ImagePipeline.preprocessorOf(dir);
      OnBackend<DinatModel> loaded =
          OnBackend.load(options.backend(), options.precision(), device, backend -> DinatModel.load(dir, backend));
      Backend backend = loaded.backend();
      ImagePipeline pipeline = new ImagePipeline(preprocessor, maxPixels, !backend.isHost());
      LOG.info("loaded {} ({}) on {}", dir.name(), dir.architecture(), backend.describe());
      return new ImageInference(dir.name(), options, pipeline, backend, loaded.model());
    }
  }

  /** The model's name for output rows (the directory's name). */
  public String modelName() {
    return modelName;
  }

  /** True when the checkpoint has a classifier (top_k and logits are produced). */
  public boolean hasClassifier() {
    return model.hasClassifier();
  }

  /** One line for logs: backend, device, dtype. */
  public String backendDescription() {
    return backend.describe();
  }

  /** Time spent so far in each stage, summed over calling threads. */
  public StageTimings timings() {
    return pipeline.timings();
  }

  /** Processes a list of images; the result list has the same order and size as the input. */
  public List<ImageResult> run(List<ImageInput> inputs) {
    return pipeline.run(inputs, options.batchSize(), task);
  }

  /**
   * Decodes and preprocesses one image on the calling thread, without touching the model: the half of
   * {@link #run} that callers overlap with other images' forward passes.
   */
  public ImagePipeline.Decoded<ImageResult> decode(ImageInput input) {
    return pipeline.decode(0, input, task);
  }

  /**
   * As {@link #decode(ImageInput)}, with the preprocessed pixels written once into {@code memory} (off the
   * heap; may block until there is room). The caller closes {@code prepared().offHeap()} after {@link #infer}.
   */
  public ImagePipeline.Decoded<ImageResult> decode(ImageInput input, PixelMemory memory)
      throws InterruptedException {
    return pipeline.decode(0, input, task, memory);
  }

  /** Images decoded elsewhere (e.g. video frames) -> results, in the order and size of {@code images}. */
  public List<ImageResult> runDecoded(List<ImagePipeline.DecodedImage> images) {
    return pipeline.runDecoded(images, options.batchSize(), task);
  }

  /** As {@link #decode(ImageInput, PixelMemory)} for an image decoded elsewhere (a video frame). */
  public ImagePipeline.Decoded<ImageResult> preprocess(ImagePipeline.DecodedImage image, PixelMemory memory)
      throws InterruptedException {
    return pipeline.preprocess(0, image, task, memory);
  }

  /** Forward passes (at most the configured batch size each) over decoded images; results in order. */
  public List<ImageResult> infer(List<ImagePipeline.Prepared> prepared) {
    return pipeline.runPrepared(prepared, options.batchSize(), task);
  }

  private final ImagePipeline.Task<DinatModel.Output, ImageResult> task =
      new ImagePipeline.Task<DinatModel.Output, ImageResult>() {
      @Override
      public DinatModel.Output forward(float[] pixels, List<ImagePipeline.Prepared> batch, int height, int width) {
        return model.forward(pixels, batch.size(), height, width);
      }

      @Override
      public DinatModel.Output forward(List<ByteBuffer> images, List<ByteResample> resamples, float[] values,
          List<ImagePipeline.Prepared> batch, int height, int width) {
        return model.forward(images, resamples, values, height, width);
      }

      @Override
      public ImageResult result(ImagePipeline.Prepared p, DinatModel.Output out, int i) {
        float[] logits = out.logits() == null ? null : out.logits()[i];
        return new ImageResult(p.path(), p.width(), p.height(), out.pooled()[i], TopK.of(model.labels(), logits, options.topK()),
            options.emitLogits() ? logits : null, null);
      }

      @Override
      public ImageResult failed(String path, Integer width, Integer height, String error) {
        return ImageResult.failed(path, width, height, error);
      }
    };

  @Override
  public void close() {
    model.close();
    backend.close();
  }
}
