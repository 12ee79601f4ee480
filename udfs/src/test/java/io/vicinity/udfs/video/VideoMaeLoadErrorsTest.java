package io.vicinity.udfs.video;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.Backend;
import io.vicinity.kernels.cpu.CpuBackend;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.checkpoint.HostTensor;
import io.vicinity.udfs.checkpoint.SafetensorsReader;
import io.vicinity.udfs.checkpoint.SafetensorsWriter;
import io.vicinity.udfs.hf.HfModelDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broken model directory fails at load time with a message that names the file and the tensor. */
class VideoMaeLoadErrorsTest {
  private final Backend cpu = new CpuBackend(1);
  @TempDir Path tmp;

  @AfterEach
  void close() {
    cpu.close();
  }

  /** A copy of the cls_keybias model with its weights edited. */
  private Path brokenCopy(Consumer<Map<String, HostTensor>> edit) throws IOException {
    Path source = VideoMaeParityTest.fixture("cls_keybias").resolve("model");
    Path dir = tmp.resolve("broken");
    Files.createDirectories(dir);
    Files.copy(source.resolve("config.json"), dir.resolve("config.json"));
    Files.copy(source.resolve("preprocessor_config.json"), dir.resolve("preprocessor_config.json"));
    Map<String, HostTensor> tensors = new LinkedHashMap<>(SafetensorsReader.readTensors(source.resolve("model.safetensors")));
    edit.accept(tensors);
    SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
    return dir;
  }

  private ModelLoadException loadFails(Path dir) {
    return assertThrows(ModelLoadException.class, () -> {
      try (HfModelDir model = HfModelDir.open(dir)) {
        VideoMaeModel.load(model, cpu).close();
      }
    });
  }

  @Test
  void missingTensorIsNamed() throws IOException {
    String name = "videomae.encoder.layer.1.output.dense.weight";
    ModelLoadException e = loadFails(brokenCopy(t -> t.remove(name)));
    assertTrue(e.getMessage().contains("missing tensor '" + name + "'"), e.getMessage());
  }

  @Test
  void missingQueryBiasNamesBothLayouts() throws IOException {
    ModelLoadException e = loadFails(brokenCopy(t -> t.remove("videomae.encoder.layer.0.attention.attention.query.bias")));
    assertTrue(e.getMessage().contains("attention.attention.query.bias") && e.getMessage().contains("q_bias"),
        e.getMessage());
  }

  @Test
  void wrongShapeIsReportedWithBothShapes() throws IOException {
    String name = "videomae.embeddings.patch_embeddings.projection.weight";
    ModelLoadException e = loadFails(brokenCopy(t -> {
      HostTensor w = t.get(name);
      int[] s = w.shape(); // [48, 3, 2, 8, 8] -> [48, 3, 1, 16, 8]: same size, wrong tubelet
      t.put(name, HostTensor.ofFloats(name, new int[] {s[0], s[1], 1, 16, 8}, w.toFloats()));
    }));
    assertTrue(e.getMessage().contains(name) && e.getMessage().contains("[48, 3, 1, 16, 8]")
        && e.getMessage().contains("[48, 3, 2, 8, 8]"), e.getMessage());
  }

  @Test
  void wrongArchitectureIsRefused() throws IOException {
    Path dir = brokenCopy(t -> { });
    Files.writeString(dir.resolve("config.json"),
        Files.readString(dir.resolve("config.json")).replace("\"videomae\"", "\"dinat\""));
    ModelLoadException e = loadFails(dir);
    assertTrue(e.getMessage().contains("unsupported architecture"), e.getMessage());
  }
}
