package io.vicinity.udfs.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.ModelLoadException;
import io.vicinity.udfs.checkpoint.HostTensor;
import io.vicinity.udfs.checkpoint.PytorchBinReader;
import io.vicinity.udfs.checkpoint.SafetensorsReader;
import io.vicinity.udfs.checkpoint.ShardIndex;
import io.vicinity.udfs.checkpoint.StateDict;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Hugging Face model directory: {@code config.json}, weights, optional {@code preprocessor_config.json}.
 *
 * <p>{@link #open} fails fast: it reads both JSON files and the weights' headers (safetensors headers,
 * shard indexes, the pickled state dict of a .bin), so a missing or corrupt piece is reported before any
 * work is scheduled. Tensor bytes are not read there: they are memory-mapped when a model first reads a
 * tensor. {@link #checkpointHash()} streams every file once, on first call.
 */
public final class HfModelDir implements AutoCloseable {
  /** Weight files in order of preference; the first one present is used. */
  public static final List<String> WEIGHT_FILE_NAMES = List.of(
      "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final JsonNode config;
  private final JsonNode preprocessorConfig;
  private final List<Path> weightFiles;
  private final StateDict weights;
  private String checkpointHash;
  private volatile boolean closed;

  private HfModelDir(Path dir, JsonNode config, JsonNode preprocessorConfig, List<Path> weightFiles,
      StateDict weights) {
    this.dir = dir;
    this.config = config;
    this.preprocessorConfig = preprocessorConfig;
    this.weightFiles = weightFiles;
    this.weights = weights;
  }

  public static HfModelDir open(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new ModelLoadException(dir + ": " + (Files.exists(dir) ? "is not a directory" : "does not exist")
          + "; expected a Hugging Face model directory");
    }
    Path configFile = dir.resolve("config.json");
    if (!Files.isRegularFile(configFile)) {
      throw new ModelLoadException(dir + ": no config.json; this is not a Hugging Face model directory");
    }
    JsonNode config = readJsonObject(configFile);
    Path preprocessorFile = dir.resolve("preprocessor_config.json");
    JsonNode preprocessor = Files.isRegularFile(preprocessorFile) ? readJsonObject(preprocessorFile) : null;

    String weightName = null;
    for (String candidate : WEIGHT_FILE_NAMES) {
      if (Files.isRegularFile(dir.resolve(candidate))) {
        weightName = candidate;
        break;
      }
    }
    if (weightName == null) {
      throw new ModelLoadException(dir + ": no weights file; looked for " + String.join(", ", WEIGHT_FILE_NAMES));
    }
    Path weightFile = dir.resolve(weightName);
    List<Path> weightFiles = new ArrayList<>();
    weightFiles.add(weightFile);
    Map<String, HostTensor> tensors;
    switch (weightName) {
      case "model.safetensors":
        tensors = SafetensorsReader.readTensors(weightFile);
        break;
      case "pytorch_model.bin":
        tensors = PytorchBinReader.readTensors(weightFile);
        break;
      default: {
        ShardIndex index = ShardIndex.read(weightFile);
        weightFiles.addAll(index.shardPaths());
        tensors = index.load(weightName.startsWith("model.safetensors")
            ? SafetensorsReader::readTensors : PytorchBinReader::readTensors);
      }
    }
    StateDict weights = new StateDict(dir.toString(), tensors);
    return new HfModelDir(dir, config, preprocessor, Collections.unmodifiableList(weightFiles), weights);
  }

  /** The directory name, e.g. "dinat-mini-in1k-224". */
  public String name() {
    Path fileName = dir.toAbsolutePath().normalize().getFileName();
    return fileName == null ? dir.toString() : fileName.toString();
  }

  public Path dir() {
    return dir;
  }

  public JsonNode config() {
    return config;
  }

  /** Typed getters over config.json whose messages name this directory's config.json. */
  public ConfigReader configReader() {
    return new ConfigReader(dir.resolve("config.json").toString(), config);
  }

  /** The contents of preprocessor_config.json, or null when the directory has none. */
  public JsonNode preprocessorConfig() {
    return preprocessorConfig;
  }

  /** {@code model_type} from config.json, e.g. "dinat". */
  public String modelType() {
    JsonNode type = config.get("model_type");
    if (type == null || !type.isTextual()) {
      throw new ModelLoadException(dir + ": config.json has no model_type string (found " + type + ")");
    }
    return type.textValue();
  }

  /** {@code architectures[0]}, e.g. "DinatForImageClassification"; falls back to model_type. */
  public String architecture() {
    JsonNode architectures = config.get("architectures");
    if (architectures != null && architectures.isArray() && architectures.size() > 0
        && architectures.get(0).isTextual()) {
      return architectures.get(0).textValue();
    }
    return modelType();
  }

  /** The tensors; headers were checked at open, bytes are mapped on first read of each tensor. */
  public StateDict weights() {
    checkOpen();
    return weights;
  }

  /** The weight files in use: the single file, or the index followed by its shards. */
  public List<Path> weightFiles() {
    return weightFiles;
  }

  /** Class names ordered by id from config.json's id2label (keys are decimal strings); empty if absent. */
  public List<String> id2label() {
    JsonNode map = config.get("id2label");
    if (map == null || map.isNull()) {
      return List.of();
    }
    if (!map.isObject()) {
      throw new ModelLoadException(dir + ": config.json id2label is not an object: " + map);
    }
    TreeMap<Integer, String> byId = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      int id;
      try {
        id = Integer.parseInt(e.getKey().trim());
      } catch (NumberFormatException ex) {
        throw new ModelLoadException(dir + ": config.json id2label key '" + e.getKey() + "' is not an integer");
      }
      byId.put(id, e.getValue().asText());
    }
    if (!byId.isEmpty() && (byId.firstKey() != 0 || byId.lastKey() != byId.size() - 1)) {
      throw new ModelLoadException(dir + ": config.json id2label ids must be 0.." + (byId.size() - 1)
          + " without gaps, found " + byId.keySet());
    }
    return List.copyOf(byId.values());
  }

  /**
   * SHA-256 (hex) over config.json and the weight files, each framed by its name and length so that
   * moving bytes between files changes the hash. Computed once, streaming; identifies the checkpoint in
   * caches and run summaries.
   */
  public synchronized String checkpointHash() {
    if (checkpointHash == null) {
      MessageDigest sha;
      try {
        sha = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      List<Path> files = new ArrayList<>();
      files.add(dir.resolve("config.json"));
      files.addAll(weightFiles);
      byte[] buffer = new byte[1 << 16];
      for (Path file : files) {
        try (InputStream in = Files.newInputStream(file)) {
          sha.update((file.getFileName() + "\n" + Files.size(file) + "\n").getBytes(StandardCharsets.UTF_8));
          for (int n; (n = in.read(buffer)) > 0; ) {
            sha.update(buffer, 0, n);
          }
        } catch (IOException e) {
          throw new ModelLoadException(file + ": cannot read for hashing: " + e.getMessage(), e);
        }
      }
      checkpointHash = HexFormat.of().formatHex(sha.digest());
    }
    return checkpointHash;
  }

  /**
   * Idempotent. Afterwards {@link #weights()} refuses; no file handles are held (each mapping closes its
   * channel at once) and the mappings are unmapped when their tensors are garbage collected.
   */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "HfModelDir(" + dir + ")";
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  private static JsonNode readJsonObject(Path file) {
    JsonNode node;
    try {
      node = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new ModelLoadException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new ModelLoadException(file + ": expected a JSON object, found " + (node == null ? "nothing" : node.getNodeType()));
    }
    return node;
  }
}
