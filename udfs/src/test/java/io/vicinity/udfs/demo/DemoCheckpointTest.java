package io.vicinity.udfs.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.checkpoint.HostTensor;
import io.vicinity.udfs.checkpoint.SafetensorsReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCheckpointTest {
  @TempDir Path tmp;

  @Test
  void sameBytesEveryTime() throws IOException {
    DemoCheckpoint.write(tmp.resolve("a"));
    DemoCheckpoint.write(tmp.resolve("b"));
    for (String file : new String[] {"config.json", "model.safetensors", "preprocessor_config.json"}) {
      assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(file)),
          Files.readAllBytes(tmp.resolve("b").resolve(file)), file);
    }
  }

  @Test
  void configDescribesATinyDinatClassifier() throws IOException {
    DemoCheckpoint.write(tmp);
    JsonNode config = new ObjectMapper().readTree(tmp.resolve("config.json").toFile());
    assertEquals("dinat", config.get("model_type").asText());
    assertEquals("DinatForImageClassification", config.get("architectures").get(0).asText());
    assertEquals(32, config.get("embed_dim").asInt());
    assertEquals("[2,2]", config.get("depths").toString());
    assertEquals("[[1,2],[1,1]]", config.get("dilations").toString());
    assertEquals(10, config.get("id2label").size());
    assertTrue(DemoCheckpoint.isDemo(tmp));

    JsonNode pre = new ObjectMapper().readTree(tmp.resolve("preprocessor_config.json").toFile());
    assertEquals("ViTImageProcessor", pre.get("image_processor_type").asText());
    assertEquals(64, pre.get("size").get("height").asInt());
    assertEquals(3, pre.get("resample").asInt());
  }

  @Test
  void everyTensorHasTheShapeDinatExpects() {
    DemoCheckpoint.write(tmp);
    Map<String, HostTensor> t = SafetensorsReader.readTensors(tmp.resolve("model.safetensors"));
    assertShape(t, "dinat.embeddings.patch_embeddings.projection.0.weight", 16, 3, 3, 3);
    assertShape(t, "dinat.embeddings.patch_embeddings.projection.1.weight", 32, 16, 3, 3);
    assertShape(t, "dinat.embeddings.norm.bias", 32);
    assertShape(t, "dinat.encoder.levels.0.layers.1.attention.self.rpb", 2, 13, 13);
    assertShape(t, "dinat.encoder.levels.1.layers.0.attention.self.rpb", 4, 13, 13);
    assertShape(t, "dinat.encoder.levels.1.layers.1.intermediate.dense.weight", 128, 64);
    assertShape(t, "dinat.encoder.levels.1.layers.1.output.dense.weight", 64, 128);
    assertShape(t, "dinat.encoder.levels.0.downsample.reduction.weight", 64, 32, 3, 3);
    assertShape(t, "dinat.encoder.levels.0.downsample.norm.weight", 64);
    assertShape(t, "dinat.layernorm.weight", 64);
    assertShape(t, "classifier.weight", 10, 64);
    assertShape(t, "classifier.bias", 10);
    assertFalse(t.containsKey("dinat.encoder.levels.1.downsample.reduction.weight"),
        "no downsample after the last level");
    // embeddings 6 + 17 per layer x 4 layers + downsample 3 + final norm 2 + classifier 2
    assertEquals(6 + 17 * 4 + 3 + 2 + 2, t.size(), t.keySet().toString());
  }

  @Test
  void dinatSpecHasDinatMiniShapeAt224() throws IOException {
    DemoCheckpoint.Spec mini = DemoCheckpoint.Spec.dinat(224, 64, new int[] {3, 4, 6, 5}, new int[] {2, 4, 8, 16});
    ObjectMapper json = new ObjectMapper();
    JsonNode config = json.valueToTree(DemoCheckpoint.config(mini));
    // As in shi-labs/dinat-mini-in1k-224's config.json.
    assertEquals("[[1,8,1],[1,4,1,4],[1,2,1,2,1,2],[1,1,1,1,1]]", config.get("dilations").toString());
    assertEquals("[3,4,6,5]", config.get("depths").toString());
    assertEquals("[2,4,8,16]", config.get("num_heads").toString());
    assertEquals(7, config.get("kernel_size").asInt());
    assertEquals(3.0, config.get("mlp_ratio").asDouble());
    assertEquals(1000, config.get("id2label").size());
    assertTrue(config.get(DemoCheckpoint.RANDOM_WEIGHTS_MARKER).asBoolean());
    assertEquals(224, json.valueToTree(DemoCheckpoint.preprocessorConfig(mini)).get("size").get("width").asInt());
  }

  @Test
  void writeIfAbsentLeavesAnExistingModelAlone() throws IOException {
    assertTrue(DemoCheckpoint.writeIfAbsent(tmp));
    Path config = tmp.resolve("config.json");
    Files.writeString(config, "{\"edited\": true}");
    assertFalse(DemoCheckpoint.writeIfAbsent(tmp));
    assertEquals("{\"edited\": true}", Files.readString(config));
    assertFalse(DemoCheckpoint.isDemo(tmp));
  }

  private static void assertShape(Map<String, HostTensor> tensors, String name, int... shape) {
    assertTrue(tensors.containsKey(name), "missing " + name);
    assertArrayEquals(shape, tensors.get(name).shape(), name);
  }
}
