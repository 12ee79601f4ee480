package io.vicinity.udfs.hf;

import com.fasterxml.jackson.databind.JsonNode;
import io.vicinity.udfs.ModelLoadException;

/**
 * Typed getters over a Hugging Face JSON config. A key that is absent or JSON null gives the default; a
 * value of the wrong type is an error that names the key and the value found, e.g.
 * {@code <dir>/config.json: key 'depths' must be an array of integers but is "3,4,6"}.
 *
 * <p>The static methods read any node (messages say "config"); an instance from
 * {@link HfModelDir#configReader()} names the file.
 */
public final class ConfigReader {
  private final String source;
  private final JsonNode config;

  public ConfigReader(String source, JsonNode config) {
    this.source = source;
    this.config = config;
  }

  public JsonNode node() {
    return config;
  }

  /** Whether the key is present with a non-null value. */
  public boolean has(String key) {
    return value(key) != null;
  }

  /** A reader for a nested object such as {@code backbone_config}; null when the key is absent. */
  public ConfigReader child(String key) {
    JsonNode v = value(key);
    if (v == null) {
      return null;
    }
    if (!v.isObject()) {
      throw wrongType(key, "an object", v);
    }
    return new ConfigReader(source + " > " + key, v);
  }

  public int getInt(String key, int defaultValue) {
    JsonNode v = value(key);
    return v == null ? defaultValue : asInt(key, v);
  }

  public int requireInt(String key) {
    return asInt(key, required(key));
  }

  public double getDouble(String key, double defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    if (!v.isNumber()) {
      throw wrongType(key, "a number", v);
    }
    return v.doubleValue();
  }

  public boolean getBool(String key, boolean defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    if (!v.isBoolean()) {
      throw wrongType(key, "true or false", v);
    }
    return v.booleanValue();
  }

  public String getString(String key, String defaultValue) {
    JsonNode v = value(key);
    if (v == null) {
      return defaultValue;
    }
    if (!v.isTextual()) {
      throw wrongType(key, "a string", v);
    }
    return v.textValue();
  }

  /** An array of integers; {@code defaultValue} null makes the key required. */
  public int[] getIntArray(String key, int[] defaultValue) {
    JsonNode v = defaultValue == null ? required(key) : value(key);
    if (v == null) {
      return defaultValue.clone();
    }
    if (!v.isArray()) {
      throw wrongType(key, "an array of integers", v);
    }
    int[] out = new int[v.size()];
    for (int i = 0; i < out.length; i++) {
      if (!isInt(v.get(i))) {
        throw wrongType(key, "an array of integers", v);
      }
      out[i] = v.get(i).asInt();
    }
    return out;
  }

  /** An array of numbers (e.g. {@code image_mean}); {@code defaultValue} null makes the key required. */
  public double[] getDoubleArray(String key, double[] defaultValue) {
    JsonNode v = defaultValue == null ? required(key) : value(key);
    if (v == null) {
      return defaultValue.clone();
    }
    if (!v.isArray()) {
      throw wrongType(key, "an array of numbers", v);
    }
    double[] out = new double[v.size()];
    for (int i = 0; i < out.length; i++) {
      if (!v.get(i).isNumber()) {
        throw wrongType(key, "an array of numbers", v);
      }
      out[i] = v.get(i).doubleValue();
    }
    return out;
  }

  /** An array of integer arrays, rows may differ in length (DiNAT's {@code dilations}). */
  public int[][] getIntMatrix(String key, int[][] defaultValue) {
    JsonNode v = defaultValue == null ? required(key) : value(key);
    if (v == null) {
      int[][] copy = new int[defaultValue.length][];
      for (int i = 0; i < copy.length; i++) {
        copy[i] = defaultValue[i].clone();
      }
      return copy;
    }
    if (!v.isArray()) {
      throw wrongType(key, "an array of integer arrays", v);
    }
    int[][] out = new int[v.size()][];
    for (int i = 0; i < out.length; i++) {
      JsonNode row = v.get(i);
      if (!row.isArray()) {
        throw wrongType(key, "an array of integer arrays", v);
      }
      out[i] = new int[row.size()];
      for (int j = 0; j < row.size(); j++) {
        if (!isInt(row.get(j))) {
          throw wrongType(key, "an array of integer arrays", v);
        }
        out[i][j] = row.get(j).asInt();
      }
    }
    return out;
  }

  public static int getInt(JsonNode cfg, String key, int defaultValue) {
    return new ConfigReader("config", cfg).getInt(key, defaultValue);
  }

  public static double getDouble(JsonNode cfg, String key, double defaultValue) {
    return new ConfigReader("config", cfg).getDouble(key, defaultValue);
  }

  public static boolean getBool(JsonNode cfg, String key, boolean defaultValue) {
    return new ConfigReader("config", cfg).getBool(key, defaultValue);
  }

  public static String getString(JsonNode cfg, String key, String defaultValue) {
    return new ConfigReader("config", cfg).getString(key, defaultValue);
  }

  public static int[] getIntArray(JsonNode cfg, String key, int[] defaultValue) {
    return new ConfigReader("config", cfg).getIntArray(key, defaultValue);
  }

  public static int[][] getIntMatrix(JsonNode cfg, String key, int[][] defaultValue) {
    return new ConfigReader("config", cfg).getIntMatrix(key, defaultValue);
  }

  private JsonNode value(String key) {
    JsonNode v = config == null ? null : config.get(key);
    return v == null || v.isNull() ? null : v;
  }

  private JsonNode required(String key) {
    JsonNode v = value(key);
    if (v == null) {
      throw new ModelLoadException(source + ": missing required key '" + key + "'");
    }
    return v;
  }

  private int asInt(String key, JsonNode v) {
    if (!isInt(v)) {
      throw wrongType(key, "an integer", v);
    }
    return v.asInt();
  }

  /** Integers, and floats with an integral value (some exporters write 3.0), within int range. */
  private static boolean isInt(JsonNode v) {
    if (v.isIntegralNumber()) {
      return v.canConvertToInt();
    }
    return v.isFloatingPointNumber() && v.doubleValue() == Math.rint(v.doubleValue())
        && Math.abs(v.doubleValue()) <= Integer.MAX_VALUE;
  }

  private ModelLoadException wrongType(String key, String expected, JsonNode found) {
    return new ModelLoadException(source + ": key '" + key + "' must be " + expected + " but is " + found);
  }
}
