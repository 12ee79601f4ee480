package io.vicinity.udfs.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vicinity.udfs.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A sharded checkpoint's index ({@code model.safetensors.index.json} or
 * {@code pytorch_model.bin.index.json}): {@code weight_map} sends each tensor name to a shard file in
 * the same directory.
 */
public final class ShardIndex {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path indexFile;
  private final Map<String, String> weightMap;

  private ShardIndex(Path indexFile, Map<String, String> weightMap) {
    this.indexFile = indexFile;
    this.weightMap = weightMap;
  }

  /** Parses the index and checks that every shard it names is a file beside it. */
  public static ShardIndex read(Path indexFile) {
    JsonNode root;
    try {
      root = JSON.readTree(indexFile.toFile());
    } catch (IOException e) {
      throw new ModelLoadException(indexFile + ": not a valid JSON index: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new ModelLoadException(indexFile + ": has no weight_map object");
    }
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : map.properties()) {
      String shard = entry.getValue().isTextual() ? entry.getValue().asText() : "";
      if (!isPlainFileName(shard)) {
        throw new ModelLoadException(indexFile + ": tensor '" + entry.getKey()
            + "' maps to " + entry.getValue() + ", which is not a file name in the same directory");
      }
      weightMap.put(entry.getKey(), shard);
    }
    ShardIndex index = new ShardIndex(indexFile, Collections.unmodifiableMap(weightMap));
    for (String shard : index.shardNames()) {
      if (!Files.isRegularFile(index.shardPath(shard))) {
        throw new ModelLoadException(indexFile + ": shard '" + shard + "' does not exist");
      }
    }
    return index;
  }

  /** Distinct shard file names in first-use order. */
  public List<String> shardNames() {
    return new ArrayList<>(new LinkedHashSet<>(weightMap.values()));
  }

  public Path shardPath(String shard) {
    return indexFile.resolveSibling(shard);
  }

  /** Shard files in first-use order. */
  public List<Path> shardPaths() {
    List<Path> paths = new ArrayList<>();
    for (String shard : shardNames()) {
      paths.add(shardPath(shard));
    }
    return paths;
  }

  public Map<String, String> weightMap() {
    return weightMap;
  }

  /**
   * Reads each shard once with {@code shardReader} and returns the mapped tensors, in index order.
   * Every mapped tensor must exist in its shard; tensors a shard holds beyond the map are ignored.
   */
  public Map<String, HostTensor> load(Function<Path, Map<String, HostTensor>> shardReader) {
    Map<String, Map<String, HostTensor>> shards = new LinkedHashMap<>();
    for (String shard : shardNames()) {
      shards.put(shard, shardReader.apply(shardPath(shard)));
    }
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    weightMap.forEach((name, shard) -> {
      HostTensor tensor = shards.get(shard).get(name);
      if (tensor == null) {
        throw new ModelLoadException(indexFile + ": tensor '" + name + "' is mapped to shard '" + shard
            + "' but that shard has no such tensor");
      }
      tensors.put(name, tensor);
    });
    return tensors;
  }

  private static boolean isPlainFileName(String name) {
    return !name.isEmpty() && !name.equals(".") && !name.equals("..")
        && !name.contains("/") && !name.contains("\\");
  }
}
