package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vicinity.udfs.ImageInference;
import io.vicinity.udfs.InferenceOptions;
import io.vicinity.udfs.demo.DemoCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCacheTest {
  @TempDir Path tmp;

  @Test
  void oneInstancePerModelAndOptionsEvenUnderConcurrentFirstUse() throws Exception {
    DemoCheckpoint.write(tmp);
    String dir = tmp.toString();
    InferenceOptions options = new InferenceOptions(3, false, 4, "cpu");

    ExecutorService tasks = Executors.newFixedThreadPool(4);
    try {
      List<Future<ImageInference>> loads = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        loads.add(tasks.submit(() -> ModelCache.get(dir, options)));
      }
      ImageInference first = loads.get(0).get();
      for (Future<ImageInference> load : loads) {
        assertSame(first, load.get(), "every task thread must share one loaded model");
      }
      assertSame(first, ModelCache.get(dir, new InferenceOptions(3, false, 4, "cpu")), "equal options");
      assertNotSame(first, ModelCache.get(dir, new InferenceOptions(3, true, 4, "cpu")), "other options");
    } finally {
      tasks.shutdownNow();
    }
  }
}
