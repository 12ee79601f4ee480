package io.vicinity.udfs.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.ModelLoadException;
import org.junit.jupiter.api.Test;

class ConfigReaderTest {
  private static final JsonNode CFG = parse("{\"embed_dim\":64,\"mlp_ratio\":3.0,\"layer_norm_eps\":1e-05,"
      + "\"depths\":[3,4,6,5],\"dilations\":[[1,8,1],[1,4,1,4]],\"use_bias\":true,\"name\":\"x\","
      + "\"bad_int\":\"64\",\"bad_array\":[1,\"two\"],\"ragged\":[[1],2],\"nothing\":null,"
      + "\"backbone_config\":{\"embed_dim\":32}}");

  private static JsonNode parse(String json) {
    try {
      return new ObjectMapper().readTree(json);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void typedValuesAndDefaults() {
    assertEquals(64, ConfigReader.getInt(CFG, "embed_dim", 0));
    assertEquals(3, ConfigReader.getInt(CFG, "mlp_ratio", 0));
    assertEquals(7, ConfigReader.getInt(CFG, "kernel_size", 7));
    assertEquals(7, ConfigReader.getInt(CFG, "nothing", 7));
    assertEquals(1e-5, ConfigReader.getDouble(CFG, "layer_norm_eps", 0), 0);
    assertTrue(ConfigReader.getBool(CFG, "use_bias", false));
    assertFalse(ConfigReader.getBool(CFG, "absent", false));
    assertArrayEquals(new int[] {3, 4, 6, 5}, ConfigReader.getIntArray(CFG, "depths", new int[0]));
    assertArrayEquals(new int[][] {{1, 8, 1}, {1, 4, 1, 4}}, ConfigReader.getIntMatrix(CFG, "dilations", null));
    assertEquals("x", ConfigReader.getString(CFG, "name", null));
  }

  @Test
  void wrongTypesNameKeyAndValue() {
    assertMessage(() -> ConfigReader.getInt(CFG, "bad_int", 0), "config: key 'bad_int' must be an integer but is \"64\"");
    assertMessage(() -> ConfigReader.getInt(CFG, "layer_norm_eps", 0), "key 'layer_norm_eps' must be an integer but is 1.0E-5");
    assertMessage(() -> ConfigReader.getIntArray(CFG, "bad_array", null),
        "key 'bad_array' must be an array of integers but is [1,\"two\"]");
    assertMessage(() -> ConfigReader.getIntMatrix(CFG, "ragged", null),
        "key 'ragged' must be an array of integer arrays but is [[1],2]");
    assertMessage(() -> ConfigReader.getDouble(CFG, "name", 0), "key 'name' must be a number but is \"x\"");
    assertMessage(() -> ConfigReader.getBool(CFG, "embed_dim", false), "key 'embed_dim' must be true or false but is 64");
    assertMessage(() -> ConfigReader.getIntArray(CFG, "absent", null), "config: missing required key 'absent'");
  }

  @Test
  void instanceReaderNamesItsSourceAndNests() {
    ConfigReader reader = new ConfigReader("m/config.json", CFG);
    assertEquals(32, reader.child("backbone_config").requireInt("embed_dim"));
    assertNull(reader.child("absent"));
    assertMessage(() -> reader.child("backbone_config").requireInt("depths"),
        "m/config.json > backbone_config: missing required key 'depths'");
    assertMessage(() -> reader.requireInt("bad_int"), "m/config.json: key 'bad_int' must be an integer");
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
    ModelLoadException e = assertThrows(ModelLoadException.class, call);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
