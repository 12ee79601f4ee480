package io.vicinity.job;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code model_hash} column: SHA-256 over the files that decide a model's numbers (config.json,
 * preprocessor_config.json and every weight file, by name and content, in name order), so rows made by
 * different checkpoints are told apart even when the directory name is the same. Computed once on the
 * driver.
 */
final class ModelFingerprint {
  private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".bin", ".json");

  private ModelFingerprint() {}

  static String of(Path modelDir) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JVM", e);
    }
    List<Path> files;
    try (Stream<Path> listing = Files.list(modelDir)) {
      files = listing.filter(Files::isRegularFile)
          .filter(f -> WEIGHT_SUFFIXES.stream().anyMatch(s -> f.getFileName().toString().endsWith(s)))
          .sorted()
          .toList();
    }
    byte[] buffer = new byte[1 << 20];
    for (Path file : files) {
      sha.update(file.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) 0);
      try (InputStream in = Files.newInputStream(file)) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          sha.update(buffer, 0, n);
        }
      }
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }
}
