package io.vicinity.udfs.segment;

import io.vicinity.udfs.ImageInput;
import io.vicinity.udfs.testing.Fixtures;
import io.vicinity.udfs.testing.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Reading the fixtures of scripts/reference/make_upernet_fixtures.py. */
final class UperNetFixtures {
  /** Four stages, 5 classes, an auxiliary head, safetensors. */
  static final String FOUR_STAGES = "k3_four_stages_safetensors";
  /** 260 classes (16-bit masks), out_features stage2 and stage3, pytorch_model.bin. */
  static final String MANY_CLASSES = "k5_many_classes_bin";

  private UperNetFixtures() {}

  static Path dir(String name) {
    return Fixtures.dir("fixtures/upernet/" + name);
  }

  /** The fixture's images, sorted by name (the order of logits.npy and labels_NN.npy). */
  static List<ImageInput> images(Path dir) throws IOException {
    List<ImageInput> inputs = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir.resolve("images"))) {
      for (Path p : files.sorted().toList()) {
        inputs.add(new ImageInput(p.getFileName().toString(), Files.readAllBytes(p)));
      }
    }
    return inputs;
  }

  /** float64 or float32 (the many-class case stores float32 to stay small) as doubles. */
  static double[] doubles(Npy.Array a) {
    if (a.dtype().equals("<f8")) {
      return a.doubles();
    }
    float[] f = a.floats();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** Image {@code i} of an [N, C, H, W] array as [H, W, C]. */
  static double[] imageChannelsLast(double[] nchw, int i, int c, int h, int w) {
    double[] out = new double[c * h * w];
    int base = i * c * h * w;
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          out[(y * w + x) * c + ch] = nchw[base + (ch * h + y) * w + x];
        }
      }
    }
    return out;
  }
}
