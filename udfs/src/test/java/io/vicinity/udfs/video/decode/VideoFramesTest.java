package io.vicinity.udfs.video.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.ImagePipeline;
import io.vicinity.udfs.ImageResult;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.demo.DemoCheckpoint;
import io.vicinity.udfs.image.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image models on sampled video frames, through ImageInference.runDecoded. */
class VideoFramesTest {
  @TempDir
  static Path modelDir;

  @TempDir
  Path dir;

  private static ImageInference images;

  @BeforeAll
  static void open() {
    DemoCheckpoint.write(modelDir);
    images = ImageInference.open(modelDir, new InferenceOptions(2, false, 4, "cpu"));
  }

  @AfterAll
  static void close() {
    images.close();
  }

  @Test
  void sampledFramesGiveTheSameResultsAsTheSameImagesEncodedAsPng() throws IOException {
    List<RgbImage> written = TestVideos.noise(7, 40, 30, 11);
    Path file = TestVideos.write(dir, "v", TestVideos.Kind.FFV1_MKV, written, 25);
    List<FrameRow<ImageResult>> rows = new VideoFrames<>(new FrameSampling(3, 0), 2, images::runDecoded)
        .run("s3a://b/v.mkv", file);
    assertEquals(3, rows.size());
    int[] expectedFrames = {0, 3, 6};
    for (int i = 0; i < rows.size(); i++) {
      FrameRow<ImageResult> row = rows.get(i);
      int f = expectedFrames[i];
      assertTrue(row.ok(), row.error());
      assertEquals("s3a://b/v.mkv", row.path());
      assertEquals(f, row.frameIndex());
      assertEquals(f * 40L, row.timestampMs());
      ImageResult fromPng = images.run(List.of(new ImageInput("png", png(written.get(f))))).get(0);
      assertTrue(row.result().ok(), row.result().error());
      assertArrayEquals(fromPng.embedding(), row.result().embedding(), "frame " + f);
      assertEquals(fromPng.topK(), row.result().topK());
      assertEquals(40, row.result().width());
    }
  }

  @Test
  void maxFramesStopsEarlyAndBadVideosGiveOneErrorRow() {
    Path file = TestVideos.write(dir, "v", TestVideos.Kind.FFV1_MKV, TestVideos.noise(9, 16, 16, 12), 25);
    VideoFrames<ImageResult> two = new VideoFrames<>(new FrameSampling(1, 2), 4, images::runDecoded);
    List<FrameRow<ImageResult>> rows = two.run("v.mkv", file);
    assertEquals(2, rows.size());
    assertEquals(1, rows.get(1).frameIndex());

    Path cut = TestVideos.truncated(file, 0.5);
    List<FrameRow<ImageResult>> bad = new VideoFrames<>(FrameSampling.DEFAULTS, 4, images::runDecoded).run("cut.mkv", cut);
    assertEquals(1, bad.size());
    assertNull(bad.get(0).frameIndex());
    assertNull(bad.get(0).result());
    assertTrue(bad.get(0).error().startsWith("cut.mkv: "), bad.get(0).error());
  }

  @Test
  void runDecodedKeepsOrderAndSizeForMixedSizes() {
    List<ImagePipeline.DecodedImage> in = List.of(
        new ImagePipeline.DecodedImage("a", TestVideos.noise(1, 20, 10, 1).get(0)),
        new ImagePipeline.DecodedImage("b", TestVideos.noise(1, 30, 30, 2).get(0)),
        new ImagePipeline.DecodedImage("c", TestVideos.noise(1, 20, 10, 3).get(0)));
    List<ImageResult> out = images.runDecoded(in);
    assertEquals(List.of("a", "b", "c"), out.stream().map(ImageResult::path).toList());
    assertEquals(List.of(20, 30, 20), out.stream().map(ImageResult::width).toList());
  }

  private static byte[] png(RgbImage img) throws IOException {
    BufferedImage b = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < img.height(); y++) {
      for (int x = 0; x < img.width(); x++) {
        b.setRGB(x, y, img.sample(x, y, 0) << 16 | img.sample(x, y, 1) << 8 | img.sample(x, y, 2));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(b, "png", out);
    return out.toByteArray();
  }
}
