package io.vicinity.udfs.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.checkpoint.HostTensor;
import io.vicinity.udfs.checkpoint.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfModelDirTest {
  private static final String CONFIG = "{\"architectures\":[\"DinatForImageClassification\"],"
      + "\"model_type\":\"dinat\",\"embed_dim\":64,"
      + "\"id2label\":{\"2\":\"goldfish\",\"0\":\"tench\",\"10\":\"eleventh\",\"1\":\"carp\","
      + "\"3\":\"c3\",\"4\":\"c4\",\"5\":\"c5\",\"6\":\"c6\",\"7\":\"c7\",\"8\":\"c8\",\"9\":\"c9\"}}";

  @TempDir Path tmp;

  private Path modelDir(String name) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.writeString(dir.resolve("config.json"), CONFIG);
    SafetensorsWriter.write(dir.resolve("model.safetensors"),
        Map.of("classifier.bias", HostTensor.ofFloats("classifier.bias", new int[] {2}, new float[] {0.5f, -1})));
    return dir;
  }

  @Test
  void opensAValidDirectory() throws IOException {
    Path dir = modelDir("dinat-mini");
    try (HfModelDir model = HfModelDir.open(dir)) {
      assertEquals("dinat-mini", model.name());
      assertEquals("DinatForImageClassification", model.architecture());
      assertEquals("dinat", model.modelType());
      assertEquals(64, model.configReader().getInt("embed_dim", 0));
      assertNull(model.preprocessorConfig());
      assertEquals(List.of("tench", "carp", "goldfish", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "eleventh"),
          model.id2label());
      assertArrayEquals(new float[] {0.5f, -1}, model.weights().require("classifier.bias", 2).toFloats());
      assertSame(model.weights(), model.weights());
      assertEquals(dir.toString(), model.weights().source());
    }
  }

  @Test
  void readsPreprocessorConfigAndFallsBackToModelType() throws IOException {
    Path dir = modelDir("m");
    Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"dinat\"}");
    Files.writeString(dir.resolve("preprocessor_config.json"), "{\"resample\":3,\"size\":{\"shortest_edge\":256}}");
    try (HfModelDir model = HfModelDir.open(dir)) {
      assertEquals("dinat", model.architecture());
      assertEquals(3, model.preprocessorConfig().get("resample").asInt());
      assertEquals(List.of(), model.id2label());
    }
  }

  @Test
  void checkpointHashIsStableAndSeesWeightChanges() throws IOException {
    Path dir = modelDir("h");
    String first;
    try (HfModelDir model = HfModelDir.open(dir)) {
      first = model.checkpointHash();
      assertEquals(64, first.length());
      assertEquals(first, model.checkpointHash());
    }
    try (HfModelDir model = HfModelDir.open(dir)) {
      assertEquals(first, model.checkpointHash());
    }
    Path weights = dir.resolve("model.safetensors");
    byte[] bytes = Files.readAllBytes(weights);
    bytes[bytes.length - 1] ^= 1;
    Files.write(weights, bytes);
    try (HfModelDir model = HfModelDir.open(dir)) {
      assertNotEquals(first, model.checkpointHash());
    }
  }

  @Test
  void shardedSafetensors() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("sharded"));
    Files.writeString(dir.resolve("config.json"), CONFIG);
    SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"),
        Map.of("a", HostTensor.ofFloats("a", new int[] {1}, new float[] {1})));
    SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"),
        Map.of("b", HostTensor.ofFloats("b", new int[] {1}, new float[] {2})));
    Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\":{"
        + "\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
    try (HfModelDir model = HfModelDir.open(dir)) {
      assertArrayEquals(new float[] {2}, model.weights().require("b", 1).toFloats());
      assertEquals(3, model.weightFiles().size());
    }
  }

  @Test
  void closedDirectoryRefusesWeights() throws IOException {
    HfModelDir model = HfModelDir.open(modelDir("c"));
    model.close();
    model.close();
    assertThrows(IllegalStateException.class, model::weights);
  }

  // ---- each missing or broken piece gives its own message ----

  @Test
  void missingDirectory() {
    Path dir = tmp.resolve("nope");
    assertMessage(dir, dir + ": does not exist");
  }

  @Test
  void notADirectory() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertMessage(file, file + ": is not a directory");
  }

  @Test
  void noConfig() throws IOException {
    Path dir = modelDir("noconfig");
    Files.delete(dir.resolve("config.json"));
    assertMessage(dir, dir + ": no config.json");
  }

  @Test
  void configNotJson() throws IOException {
    Path dir = modelDir("badconfig");
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": dinat");
    assertMessage(dir, dir.resolve("config.json") + ": not valid JSON");
  }

  @Test
  void configNotAnObject() throws IOException {
    Path dir = modelDir("arrayconfig");
    Files.writeString(dir.resolve("config.json"), "[1, 2]");
    assertMessage(dir, dir.resolve("config.json") + ": expected a JSON object");
  }

  @Test
  void noWeightsListsTheNamesLookedFor() throws IOException {
    Path dir = modelDir("noweights");
    Files.delete(dir.resolve("model.safetensors"));
    assertMessage(dir, dir + ": no weights file; looked for model.safetensors, model.safetensors.index.json, "
        + "pytorch_model.bin, pytorch_model.bin.index.json");
  }

  @Test
  void corruptWeightsFailAtOpen() throws IOException {
    Path dir = modelDir("corrupt");
    Files.write(dir.resolve("model.safetensors"), new byte[] {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
    assertMessage(dir, dir.resolve("model.safetensors") + ": header length");
  }

  @Test
  void corruptPytorchBin() throws IOException {
    Path dir = modelDir("corrupt-bin");
    Files.delete(dir.resolve("model.safetensors"));
    Files.writeString(dir.resolve("pytorch_model.bin"), "this is not a zip");
    assertMessage(dir, dir.resolve("pytorch_model.bin") + ": not a PyTorch checkpoint");
  }

  @Test
  void badId2label() throws IOException {
    Path dir = modelDir("labels");
    Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"dinat\",\"id2label\":{\"0\":\"a\",\"2\":\"c\"}}");
    try (HfModelDir model = HfModelDir.open(dir)) {
      ModelLoadException e = assertThrows(ModelLoadException.class, model::id2label);
      assertTrue(e.getMessage().contains("ids must be 0..1 without gaps, found [0, 2]"), e.getMessage());
    }
  }

  @Test
  void missingModelType() throws IOException {
    Path dir = modelDir("notype");
    Files.writeString(dir.resolve("config.json"), "{}");
    try (HfModelDir model = HfModelDir.open(dir)) {
      ModelLoadException e = assertThrows(ModelLoadException.class, model::architecture);
      assertTrue(e.getMessage().contains("no model_type"), e.getMessage());
    }
  }

  private static void assertMessage(Path dir, String expectedStart) {
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> HfModelDir.open(dir));
    assertTrue(e.getMessage().startsWith(expectedStart), e.getMessage());
  }
}
