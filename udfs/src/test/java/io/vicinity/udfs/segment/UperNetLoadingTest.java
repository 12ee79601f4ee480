package io.vicinity.udfs.segment;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.checkpoint.HostTensor;
import io.vicinity.udfs.checkpoint.SafetensorsReader;
import io.vicinity.udfs.checkpoint.SafetensorsWriter;
import io.vicinity.udfs.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model directory that cannot be a DiNAT UperNet fails at open with a message that says why. */
class UperNetLoadingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SegmentationOptions CPU = new SegmentationOptions(1, "cpu", false);

  @TempDir
  Path temp;

  @Test
  void missingBackboneTensorIsNamed() throws IOException {
    Path model = copyOfFixtureModel();
    Path weights = model.resolve("model.safetensors");
    // Read from the fixture itself: tensors are mapped lazily from their file, and the copy is rewritten.
    Path original = UperNetFixtures.dir(UperNetFixtures.FOUR_STAGES).resolve("model/model.safetensors");
    Map<String, HostTensor> tensors = new LinkedHashMap<>(SafetensorsReader.readTensors(original));
    String missing = "backbone.encoder.levels.2.layers.1.attention.self.rpb";
    HostTensor removed = tensors.remove(missing);
    assertTrue(removed != null, "the fixture should have " + missing);
    Files.delete(weights);
    SafetensorsWriter.write(weights, tensors);

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> SegmentationInference.open(model, CPU));
    assertTrue(e.getMessage().contains("missing tensor '" + missing + "'"), e.getMessage());
  }

  @Test
  void backboneOtherThanDinatIsRefused() throws IOException {
    Path model = copyOfFixtureModel();
    editConfig(model, config -> ((ObjectNode) config.get("backbone_config")).put("model_type", "convnext"));

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> SegmentationInference.open(model, CPU));
    assertTrue(e.getMessage().contains("backbone_config model_type is 'convnext'"), e.getMessage());
    assertTrue(e.getMessage().contains("DinatBackbone"), e.getMessage());
  }

  @Test
  void namedTimmBackboneWithoutConfigIsRefused() throws IOException {
    Path model = copyOfFixtureModel();
    editConfig(model, config -> {
      config.remove("backbone_config");
      config.put("backbone", "resnet50");
    });

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> SegmentationInference.open(model, CPU));
    assertTrue(e.getMessage().contains("no backbone_config") && e.getMessage().contains("resnet50"), e.getMessage());
  }

  @Test
  void aClassifierCheckpointIsNotASegmenter() {
    Path classifier = Fixtures.dir("fixtures/dinat/k7_classifier_safetensors/model");

    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> SegmentationInference.open(classifier, CPU));
    assertTrue(e.getMessage().contains("unsupported architecture 'DinatForImageClassification'"), e.getMessage());
  }

  @Test
  void outFeaturesMustNameStages() throws IOException {
    Path model = copyOfFixtureModel();
    editConfig(model, config -> ((ObjectNode) config.get("backbone_config")).putArray("out_features")
        .add("stage1").add("stage9"));

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> SegmentationInference.open(model, CPU));
    assertTrue(e.getMessage().contains("out_features") && e.getMessage().contains("stage9"), e.getMessage());
  }

  private interface ConfigEdit {
    void apply(ObjectNode config);
  }

  private static void editConfig(Path model, ConfigEdit edit) throws IOException {
    Path file = model.resolve("config.json");
    ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
    edit.apply(config);
    JSON.writeValue(file.toFile(), config);
  }

  private Path copyOfFixtureModel() throws IOException {
    Path source = UperNetFixtures.dir(UperNetFixtures.FOUR_STAGES).resolve("model");
    Path target = temp.resolve("model");
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path f : files.toList()) {
        Files.copy(f, target.resolve(f.getFileName()));
      }
    }
    return target;
  }
}
