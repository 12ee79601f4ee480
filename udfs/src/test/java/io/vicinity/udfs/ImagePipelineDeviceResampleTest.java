package io.vicinity.udfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.kernels.Arena;
import io.vicinity.kernels.ByteResample;
import io.vicinity.kernels.cpu.CpuBackend;
import io.vicinity.udfs.image.ImageDecoder;
import io.vicinity.udfs.image.ImagePreprocessor;
import io.vicinity.udfs.image.PreprocessorConfig;
import io.vicinity.udfs.image.RgbImage;
import io.vicinity.udfs.testing.DirectPixelMemory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Images that wait as decoded bytes and are resized by the backend ({@code ImagePipeline} built for a device)
 * give the model exactly the input of images resized on the decoding thread: here the backend is the CPU one,
 * whose resampling {@code fromHostBytes} is the GPU kernel's reference (CudaFromHostDirectTest). Batches mix
 * images waiting decoded, images already the model's size, and images too large to send decoded.
 */
class ImagePipelineDeviceResampleTest {
  private static final String CONFIG = "{\"do_resize\": true, \"size\": {\"height\": 32, \"width\": 40},"
      + " \"resample\": 3, \"do_rescale\": true, \"rescale_factor\": 0.00392156862745098, \"do_normalize\": true,"
      + " \"image_mean\": [0.485, 0.456, 0.406], \"image_std\": [0.229, 0.224, 0.225]}";

  /**
   * Source sizes (height, width): up, down within the bound, the model's size, and past the bound (32 x 40 x 64
   * pixels).
   */
  private static final int[][] SIZES = {{17, 23}, {61, 93}, {32, 40}, {300, 400}, {45, 37}, {330, 300}};

  @Test
  void decodedImagesResizedByTheBackendGiveTheHostResizedInputExactly() throws Exception {
    ImagePreprocessor preprocessor =
        new ImagePreprocessor(PreprocessorConfig.fromJson(new ObjectMapper().readTree(CONFIG)));
    Random rnd = new Random(41);
    List<ImagePipeline.DecodedImage> images = new ArrayList<>();
    for (int[] s : SIZES) {
      byte[] rgb = new byte[s[0] * s[1] * 3];
      rnd.nextBytes(rgb);
      images.add(new ImagePipeline.DecodedImage(s[1] + "x" + s[0], new RgbImage(s[1], s[0], rgb)));
    }
    try (CpuBackend cpu = new CpuBackend()) {
      for (boolean device : new boolean[] {false, true}) {
        ImagePipeline pipeline = new ImagePipeline(preprocessor, ImageDecoder.DEFAULT_MAX_PIXELS, device);
        List<float[]> got = inputs(pipeline, images, cpu, device);
        for (int i = 0; i < images.size(); i++) {
          // The float32 preprocessing on the heap (numpy's arithmetic), the pipeline's reference.
          assertArrayEquals(preprocessor.preprocess(images.get(i).image()), got.get(i), 0f,
              images.get(i).path() + (device ? " resized by the backend" : " resized on the host"));
        }
      }
    }
  }

  /**
   * A center crop reads a window of a wide image: only the window waits and goes to the device, and the model's
   * input is still the host's preprocessing of the whole image.
   */
  @Test
  void aCroppedImageWaitsAsTheWindowItsCropReads() throws Exception {
    String config = "{\"do_resize\": true, \"size\": {\"shortest_edge\": 36}, \"resample\": 3,"
        + " \"do_center_crop\": true, \"crop_size\": {\"height\": 32, \"width\": 32}, \"do_rescale\": true,"
        + " \"rescale_factor\": 0.00392156862745098, \"do_normalize\": true,"
        + " \"image_mean\": [0.485, 0.456, 0.406], \"image_std\": [0.229, 0.224, 0.225]}";
    ImagePreprocessor preprocessor =
        new ImagePreprocessor(PreprocessorConfig.fromJson(new ObjectMapper().readTree(config)));
    Random rnd = new Random(47);
    try (CpuBackend cpu = new CpuBackend()) {
      for (int[] s : new int[][] {{72, 200}, {150, 90}, {20, 100}}) {
        byte[] rgb = new byte[s[0] * s[1] * 3];
        rnd.nextBytes(rgb);
        ImagePipeline.DecodedImage image =
            new ImagePipeline.DecodedImage(s[1] + "x" + s[0], new RgbImage(s[1], s[0], rgb));
        ImagePipeline pipeline = new ImagePipeline(preprocessor, ImageDecoder.DEFAULT_MAX_PIXELS, true);
        CapturingTask task = new CapturingTask(cpu);
        ImagePipeline.Prepared p =
            pipeline.preprocess(0, image, task, new DirectPixelMemory(Integer.MAX_VALUE)).prepared();
        assertNotNull(p.resample(), image.path() + " waits decoded");
        assertTrue(p.bytes() < rgb.length * 3 / 4, image.path() + ": " + p.bytes() + " of " + rgb.length);
        List<float[]> got = pipeline.runPrepared(List.of(p), 1, task);
        p.offHeap().close();
        assertArrayEquals(preprocessor.preprocess(image.image()), got.get(0), 0f, image.path());
      }
    }
  }

  /**
   * Memory that can never hold an image's decoded bytes (a small --queue-bytes) still takes it resized: the
   * pipeline falls back to the host's resize instead of failing the image.
   */
  @Test
  void anImageWhoseDecodedBytesNeverFitIsResizedOnTheHost() throws Exception {
    ImagePreprocessor preprocessor =
        new ImagePreprocessor(PreprocessorConfig.fromJson(new ObjectMapper().readTree(CONFIG)));
    byte[] rgb = new byte[61 * 93 * 3];
    new Random(43).nextBytes(rgb);
    ImagePipeline.DecodedImage image = new ImagePipeline.DecodedImage("61x93", new RgbImage(93, 61, rgb));
    DirectPixelMemory memory = new DirectPixelMemory(32 * 40 * 3);
    try (CpuBackend cpu = new CpuBackend()) {
      CapturingTask task = new CapturingTask(cpu);
      ImagePipeline pipeline = new ImagePipeline(preprocessor, ImageDecoder.DEFAULT_MAX_PIXELS, true);
      ImagePipeline.Prepared p = pipeline.preprocess(0, image, task, memory).prepared();
      assertNotNull(p);
      assertNull(p.resample(), "resized on the host");
      List<float[]> got = pipeline.runPrepared(List.of(p), 1, task);
      p.offHeap().close();
      assertArrayEquals(preprocessor.preprocess(image.image()), got.get(0), 0f);
    }
  }

  /**
   * Each image's model input (in input order) from one batch through {@code pipeline}; checks which images waited
   * decoded: on a device those within the bound that need resizing, else none.
   */
  private static List<float[]> inputs(ImagePipeline pipeline, List<ImagePipeline.DecodedImage> images,
      CpuBackend cpu, boolean device) throws InterruptedException {
    DirectPixelMemory memory = new DirectPixelMemory(Integer.MAX_VALUE);
    CapturingTask task = new CapturingTask(cpu);
    List<ImagePipeline.Prepared> prepared = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      ImagePipeline.Prepared p = pipeline.preprocess(i, images.get(i), task, memory).prepared();
      assertNotNull(p, images.get(i).path());
      int[] s = SIZES[i];
      boolean waitsDecoded = device && s[0] * s[1] <= ImagePipeline.DEVICE_RESAMPLE_MAX_RATIO * 32 * 40
          && !(s[0] == 32 && s[1] == 40);
      assertEquals(waitsDecoded, p.resample() != null, images.get(i).path());
      assertEquals(waitsDecoded ? s[0] * s[1] * 3 : 32 * 40 * 3, p.bytes(), images.get(i).path());
      prepared.add(p);
    }
    try {
      List<float[]> results = pipeline.runPrepared(prepared, images.size(), task);
      assertEquals(1, task.passes, "one pass for the batch of mixed sources");
      return results;
    } finally {
      prepared.forEach(p -> p.offHeap().close());
    }
  }

  /** A task whose "model" returns its input: each image's values as the backend made them. */
  private static final class CapturingTask implements ImagePipeline.Task<float[], float[]> {
    private final CpuBackend cpu;
    int passes;

    CapturingTask(CpuBackend cpu) {
      this.cpu = cpu;
    }

    @Override
    public float[] forward(float[] pixels, List<ImagePipeline.Prepared> batch, int height, int width) {
      passes++;
      return pixels;
    }

    @Override
    public float[] forward(List<ByteBuffer> images, List<ByteResample> resamples, float[] values,
        List<ImagePipeline.Prepared> batch, int height, int width) {
      passes++;
      try (Arena a = cpu.openArena("capture")) {
        return cpu.toHost(cpu.fromHostBytes(images, resamples, values, batch.size(), height, width, 3));
      }
    }

    @Override
    public float[] result(ImagePipeline.Prepared image, float[] out, int i) {
      int per = image.size().height() * image.size().width() * 3;
      return Arrays.copyOfRange(out, i * per, (i + 1) * per);
    }

    @Override
    public float[] failed(String path, Integer width, Integer height, String error) {
      assertNull(error, path);
      return null;
    }
  }
}
