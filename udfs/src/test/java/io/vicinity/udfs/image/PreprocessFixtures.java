package io.vicinity.udfs.image;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.testing.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/**
 * Reference outputs from scripts/reference/make_preprocess_fixtures.py, copied into
 * src/test/resources/preprocess by whoever ran it (it needs Pillow and transformers). Tests that
 * use them are skipped, not failed, while the folder is absent.
 */
final class PreprocessFixtures {

  private PreprocessFixtures() {}

  private static final String ABSENT_MESSAGE = "preprocess fixtures absent: run "
      + "scripts/reference/make_preprocess_fixtures.py on a machine with Pillow + transformers and copy its "
      + "output to udfs/src/test/resources/preprocess";

  static boolean present() {
    return PreprocessFixtures.class.getClassLoader().getResource("preprocess/manifest.json") != null;
  }

  /** One skipped test carrying the reason, so reports show why the parity tests did not run. */
  static List<DynamicTest> skippedBecauseAbsent() {
    return List.of(DynamicTest.dynamicTest("fixtures absent", () -> assumeTrue(false, ABSENT_MESSAGE)));
  }

  /** The fixture folder; aborts the calling test (skip) when it has not been generated. */
  static Path root() {
    URL manifest = PreprocessFixtures.class.getClassLoader().getResource("preprocess/manifest.json");
    assumeTrue(manifest != null, ABSENT_MESSAGE);
    try {
      return Path.of(manifest.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode manifest() {
    try {
      return new ObjectMapper().readTree(root().resolve("manifest.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path file(String relative) {
    return root().resolve(relative);
  }

  static byte[] bytes(String relative) {
    try {
      return Files.readAllBytes(file(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A uint8 [H, W, 3] .npy as an image. */
  static RgbImage rgbNpy(String relative) {
    Npy.Array array = Npy.read(file(relative));
    int[] shape = array.shape();
    if (shape.length != 3 || shape[2] != 3) {
      throw new IllegalArgumentException(relative + " is not [H, W, 3]: " + array);
    }
    return new RgbImage(shape[1], shape[0], array.bytes());
  }
}
