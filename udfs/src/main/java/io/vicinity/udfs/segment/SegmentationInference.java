package io.vicinity.udfs.segment;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.ClassMaps;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.OnBackend;
import io.vicinity.udfs.PixelMemory;
import io.vicinity.udfs.StageTimings;
import io.vicinity.udfs.hf.HfModelDir;
import io.vicinity.udfs.image.ImageDecoder;
import io.vicinity.udfs.image.ImagePreprocessor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plain-Java segmentation entry point: load an UperNet + DiNAT model directory once, then turn encoded
 * images into {@link SegmentationResult}s whose masks have each image's own size, computed as Hugging
 * Face's {@code post_process_semantic_segmentation(outputs, target_sizes=[original size])}. A bad image never
 * throws: it yields a result with {@code error} set. A bad model directory throws
 * {@link ModelLoadException} from {@link #open}. Thread-safe (see {@link ImagePipeline}).
 */
public final class SegmentationInference implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentationInference.class);

  private final String modelName;
  private final SegmentationOptions options;
  private final ImagePipeline pipeline;
  private final Backend backend;
  private final UperNetSegmenter model;

  private SegmentationInference(String modelName, SegmentationOptions options, ImagePipeline pipeline,
      Backend backend, UperNetSegmenter model) {
    this.modelName = modelName;
    this.options = options;
    this.pipeline = pipeline;
    this.backend = backend;
    this.model = model;
  }

  /** Loads the model directory onto the chosen backend; fails fast on anything missing or mismatched. */
  public static SegmentationInference open(Path modelDir, SegmentationOptions options) {
    try (HfModelDir dir = HfModelDir.open(modelDir)) {
      ImagePreprocessor preprocessor = ImagePipeline.preprocessorOf(dir);
      OnBackend<UperNetSegmenter> loaded = OnBackend.load(options.backend(), options.precision(), 0, backend -> {
        UperNetSegmenter model = UperNetSegmenter.load(dir, backend);
        try {
          MaskPng.bitDepth(model.labels().size()); // more classes than a 16-bit mask holds: fail at load
        } catch (IllegalArgumentException e) {
          model.close();
          throw new ModelLoadException(modelDir + ": " + e.getMessage(), e);
        }
        return model;
      });
      Backend backend = loaded.backend();
      ImagePipeline pipeline = new ImagePipeline(preprocessor, ImageDecoder.DEFAULT_MAX_PIXELS, !backend.isHost());
      UperNetSegmenter model = loaded.model();
      LOG.info("loaded {} ({}, {} classes) on {}", dir.name(), dir.architecture(), model.labels().size(),
          backend.describe());
      return new SegmentationInference(dir.name(), options, pipeline, backend, model);
    }
  }

  /** The model's name for output rows (the directory's name). */
  public String modelName() {
    return modelName;
  }

  /** Class names by index: what the mask's sample values mean. */
  public List<String> labels() {
    return model.labels();
  }

  /** One line for logs: backend, device, dtype. */
  public String backendDescription() {
    return backend.describe();
  }

  /** Time spent so far in each stage, summed over calling threads. */
  public StageTimings timings() {
    return pipeline.timings();
  }

  /** Segments a list of images; the result list has the same order and size as the input. */
  public List<SegmentationResult> run(List<ImageInput> inputs) {
    return encodeAll(pipeline.run(inputs, options.batchSize(), task));
  }

  /** Images decoded elsewhere (e.g. video frames) -> results, in the order and size of {@code images}. */
  public List<SegmentationResult> runDecoded(List<ImagePipeline.DecodedImage> images) {
    return encodeAll(pipeline.runDecoded(images, options.batchSize(), task));
  }

  private List<SegmentationResult> encodeAll(List<LabelMapResult> maps) {
    return maps.stream().map(this::encode).toList();
  }

  /**
   * One image's result with its mask (and score) PNG and class areas. Thread-safe; callers that run the
   * forward passes on one thread ({@link #infer}) encode on their own threads.
   */
  public SegmentationResult encode(LabelMapResult r) {
    if (r.error() != null) {
      return SegmentationResult.failed(r.path(), r.width(), r.height(), r.error());
    }
    LabelMap map = r.map();
    return new SegmentationResult(r.path(), r.width(), r.height(), MaskPng.encodeLabels(map, model.labels().size()),
        classAreas(map, model.labels()), options.maskScores() ? MaskPng.encodeScores(map) : null, null);
  }

  /**
   * Decodes and preprocesses one image on the calling thread, with the preprocessed pixels written once into
   * {@code memory} (off the heap; may block until there is room), without touching the model: the half of
   * {@link #run} that callers overlap with other images' forward passes. The caller closes
   * {@code prepared().offHeap()} after {@link #infer}.
   */
  public ImagePipeline.Decoded<LabelMapResult> decode(ImageInput input, PixelMemory memory)
      throws InterruptedException {
    return pipeline.decode(0, input, task, memory);
  }

  /** As {@link #decode(ImageInput, PixelMemory)} for an image decoded elsewhere (a video frame). */
  public ImagePipeline.Decoded<LabelMapResult> preprocess(ImagePipeline.DecodedImage image, PixelMemory memory)
      throws InterruptedException {
    return pipeline.preprocess(0, image, task, memory);
  }

  /**
   * Forward passes (at most the configured batch size each) over decoded images; label maps in order, to be
   * turned into results by {@link #encode} (which the forward passes' thread need not do).
   */
  public List<LabelMapResult> infer(List<ImagePipeline.Prepared> prepared) {
    return pipeline.runPrepared(prepared, options.batchSize(), task);
  }

  private final ImagePipeline.Task<ClassMaps, LabelMapResult> task =
      new ImagePipeline.Task<ClassMaps, LabelMapResult>() {
      @Override
      public ClassMaps forward(float[] pixels, List<ImagePipeline.Prepared> batch, int height, int width) {
        return model.classMaps(pixels, batch.size(), height, width, heights(batch), widths(batch),
            options.maskScores());
      }

      @Override
      public ClassMaps forward(List<ByteBuffer> images, List<ByteResample> resamples, float[] values,
          List<ImagePipeline.Prepared> batch, int height, int width) {
        return model.classMaps(images, resamples, values, height, width, heights(batch), widths(batch),
            options.maskScores());
      }

      @Override
      public LabelMapResult result(ImagePipeline.Prepared image, ClassMaps maps, int i) {
        LabelMap map = new LabelMap(image.width(), image.height(), maps.classes()[i],
            maps.probabilities() == null ? null : maps.probabilities()[i]);
        return new LabelMapResult(image.path(), image.width(), image.height(), map, null);
      }

      @Override
      public LabelMapResult failed(String path, Integer width, Integer height, String error) {
        return LabelMapResult.failed(path, width, height, error);
      }
    };

  private static int[] heights(List<ImagePipeline.Prepared> batch) {
    return batch.stream().mapToInt(ImagePipeline.Prepared::height).toArray();
  }

  private static int[] widths(List<ImagePipeline.Prepared> batch) {
    return batch.stream().mapToInt(ImagePipeline.Prepared::width).toArray();
  }

  /** Label name -> fraction of pixels, for the labels present, in class order. */
  static Map<String, Float> classAreas(LabelMap map, List<String> labels) {
    long[] counts = map.counts(labels.size());
    double pixels = map.labels().length;
    Map<String, Float> areas = new LinkedHashMap<>();
    for (int c = 0; c < counts.length; c++) {
      if (counts[c] > 0) {
        areas.merge(labels.get(c), (float) (counts[c] / pixels), Float::sum); // id2label may repeat a name
      }
    }
    return Collections.unmodifiableMap(areas);
  }

  @Override
  public void close() {
    model.close();
    backend.close();
  }
}
