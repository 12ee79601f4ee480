package io.vicinity.udfs.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.udfs.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardIndexTest {
  @TempDir Path tmp;

  @BeforeEach
  void writeShards() {
    SafetensorsWriter.write(tmp.resolve("model-00001-of-00002.safetensors"),
        Map.of("a", HostTensor.ofFloats("a", new int[] {2}, new float[] {1, 2})));
    SafetensorsWriter.write(tmp.resolve("model-00002-of-00002.safetensors"),
        Map.of("b", HostTensor.ofFloats("b", new int[] {1}, new float[] {3})));
  }

  @Test
  void loadsEveryMappedTensorFromItsShard() throws IOException {
    Path index = writeIndex("{\"metadata\":{\"total_size\":12},\"weight_map\":{"
        + "\"b\":\"model-00002-of-00002.safetensors\",\"a\":\"model-00001-of-00002.safetensors\"}}");
    ShardIndex shards = ShardIndex.read(index);
    Map<String, HostTensor> tensors = shards.load(SafetensorsReader::readTensors);
    assertEquals(List.of("b", "a"), List.copyOf(tensors.keySet()));
    assertArrayEquals(new float[] {1, 2}, tensors.get("a").toFloats());
    assertArrayEquals(new float[] {3}, tensors.get("b").toFloats());
    assertEquals(2, shards.shardPaths().size());
  }

  @Test
  void tensorMissingFromItsShard() throws IOException {
    Path index = writeIndex("{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\"}}");
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> ShardIndex.read(index).load(SafetensorsReader::readTensors));
    assertTrue(e.getMessage().contains("tensor 'a' is mapped to shard 'model-00002-of-00002.safetensors' but that shard has no such tensor"),
        e.getMessage());
  }

  @Test
  void missingShardFile() throws IOException {
    Path index = writeIndex("{\"weight_map\":{\"a\":\"model-00009-of-00009.safetensors\"}}");
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> ShardIndex.read(index));
    assertTrue(e.getMessage().contains("shard 'model-00009-of-00009.safetensors' does not exist"), e.getMessage());
  }

  @Test
  void shardOutsideTheDirectoryIsRefused() throws IOException {
    Path index = writeIndex("{\"weight_map\":{\"a\":\"../model-00001-of-00002.safetensors\"}}");
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> ShardIndex.read(index));
    assertTrue(e.getMessage().contains("not a file name in the same directory"), e.getMessage());
  }

  @Test
  void indexWithoutWeightMap() throws IOException {
    Path index = writeIndex("{\"metadata\":{}}");
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> ShardIndex.read(index));
    assertTrue(e.getMessage().startsWith(index + ": has no weight_map"), e.getMessage());
  }

  private Path writeIndex(String json) throws IOException {
    Path index = tmp.resolve("model.safetensors.index.json");
    Files.writeString(index, json);
    return index;
  }
}
