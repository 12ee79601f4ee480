package io.vicinity.udfs.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.vicinity.udfs.checkpoint.HostTensor;
import io.vicinity.udfs.checkpoint.StateDict;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Model directories saved by real PyTorch / transformers under test resources {@code checkpoint/}
 * (e.g. one tiny DiNAT saved both as model.safetensors and as pytorch_model.bin). Every directory must
 * open and every tensor must decode; directories holding the same tensor names must hold the same
 * values, which checks the pickle reader against safetensors on what torch.save really writes.
 * Skipped until fixtures exist.
 */
class CheckpointFixturesTest {

  @Test
  void everyFixtureLoadsAndFormatsAgree() throws IOException, URISyntaxException {
    List<Path> dirs = fixtureDirs();
    assumeFalse(dirs.isEmpty(), "no model directories under test resources checkpoint/");
    List<HfModelDir> opened = new ArrayList<>();
    try {
      for (Path dir : dirs) {
        HfModelDir model = HfModelDir.open(dir);
        opened.add(model);
        for (String name : model.weights().names()) {
          HostTensor t = model.weights().require(name);
          if (t.dtype().isFloatingPoint()) {
            assertEquals(t.numel(), t.toFloats().length, dir + ": " + name);
          } else {
            assertEquals(t.numel(), t.toLongs().length, dir + ": " + name);
          }
        }
      }
      for (int i = 0; i < opened.size(); i++) {
        for (int j = i + 1; j < opened.size(); j++) {
          StateDict a = opened.get(i).weights();
          StateDict b = opened.get(j).weights();
          if (a.names().equals(b.names())) {
            for (String name : a.names()) {
              String where = a.source() + " vs " + b.source() + ": " + name;
              assertArrayEquals(a.require(name).shape(), b.require(name).shape(), where);
              assertArrayEquals(a.require(name).toFloats(), b.require(name).toFloats(), where);
            }
          }
        }
      }
    } finally {
      opened.forEach(HfModelDir::close);
    }
  }

  private static List<Path> fixtureDirs() throws IOException, URISyntaxException {
    URL root = CheckpointFixturesTest.class.getClassLoader().getResource("checkpoint");
    if (root == null || !"file".equals(root.getProtocol())) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(Path.of(root.toURI()), 3)) {
      return walk.filter(p -> Files.isRegularFile(p.resolve("config.json"))).sorted().toList();
    }
  }
}
