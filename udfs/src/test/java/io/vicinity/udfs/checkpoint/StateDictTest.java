package io.vicinity.udfs.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ModelLoadException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StateDictTest {
  private static final String RPB = "dinat.encoder.levels.0.layers.0.attention.self.rpb";

  private static StateDict dict() {
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put(RPB, HostTensor.ofFloats(RPB, new int[] {2, 13, 13}, new float[2 * 13 * 13]));
    tensors.put("classifier.weight", HostTensor.ofFloats("classifier.weight", new int[] {3, 4}, new float[12]));
    tensors.put("classifier.bias", HostTensor.ofFloats("classifier.bias", new int[] {3}, new float[3]));
    return new StateDict("models/dinat-mini", tensors);
  }

  @Test
  void wrongShapeNamesTensorAndBothShapes() {
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> dict().require(RPB, 2, 11, 11));
    assertEquals("models/dinat-mini: tensor '" + RPB + "' has shape [2, 13, 13] but the config implies [2, 11, 11]",
        e.getMessage());
  }

  @Test
  void missingTensor() {
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> dict().require("classifier.scale"));
    assertEquals("models/dinat-mini: missing tensor 'classifier.scale'", e.getMessage());
  }

  @Test
  void tracksUnusedTensors() {
    StateDict d = dict();
    d.require(RPB, 2, 13, 13);
    assertEquals(Set.of("classifier.weight", "classifier.bias"), d.unusedNames());
    d.find("classifier.bias");
    assertTrue(d.find("classifier.gamma").isEmpty());
    assertEquals(Set.of("classifier.weight"), d.unusedNames());
  }

  @Test
  void prefixViewSharesUsageAndNamesFullTensorInMessages() {
    StateDict d = dict();
    StateDict head = d.stripPrefix("classifier.");
    assertEquals(Set.of("weight", "bias"), head.names());
    assertTrue(head.contains("weight"));
    assertFalse(head.contains(RPB));
    head.require("weight", 3, 4);
    assertFalse(d.unusedNames().contains("classifier.weight"));
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> head.require("bias", 4));
    assertTrue(e.getMessage().contains("tensor 'classifier.bias' has shape [3]"), e.getMessage());
    ModelLoadException missing = assertThrows(ModelLoadException.class, () -> head.require("nope"));
    assertTrue(missing.getMessage().endsWith("missing tensor 'classifier.nope'"), missing.getMessage());
  }
}
