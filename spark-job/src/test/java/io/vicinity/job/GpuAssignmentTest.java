package io.vicinity.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.job.JobOptions.Backend;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GpuAssignmentTest {

  /** A task that sees these GPU addresses and this environment. */
  private static GpuAssignment.View view(List<String> gpus, Map<String, String> env) {
    return new GpuAssignment.View() {
      @Override
      public List<String> taskResource(String name) {
        return name.equals(GpuAssignment.GPU) ? gpus : List.of();
      }

      @Override
      public String env(String name) {
        return env.get(name);
      }
    };
  }

  @Test
  void sparkAssignedGpuWins() {
    GpuAssignment a = GpuAssignment.choose(Backend.AUTO, view(List.of("3"), Map.of()));
    assertEquals("cuda", a.backend());
    assertEquals(3, a.device());
    assertTrue(a.reason().contains("Spark assigned GPU 3"), a.reason());
  }

  @Test
  void assignedAddressIsMappedThroughCudaVisibleDevices() {
    // Discovery reports nvidia-smi index 6; the process sees devices 4,6 as ordinals 0,1.
    GpuAssignment a = GpuAssignment.choose(Backend.AUTO, view(List.of("6"), Map.of("CUDA_VISIBLE_DEVICES", "4,6")));
    assertEquals(1, a.device());
    // Already-renumbered addresses not in the list are taken as ordinals.
    assertEquals(0, GpuAssignment.choose(Backend.AUTO,
        view(List.of("0"), Map.of("CUDA_VISIBLE_DEVICES", "5"))).device());
  }

  @Test
  void withoutResourcesCudaVisibleDevicesMeansTheFirstVisibleGpu() {
    GpuAssignment a = GpuAssignment.choose(Backend.AUTO, view(List.of(), Map.of("CUDA_VISIBLE_DEVICES", "2,3")));
    assertEquals("cuda", a.backend());
    assertEquals(0, a.device());
    assertTrue(a.reason().contains("CUDA_VISIBLE_DEVICES=2,3"), a.reason());
  }

  @Test
  void nothingAssignedMeansCpuUnlessCudaIsAskedFor() {
    for (String none : new String[] {null, "", "-1", "NoDevFiles"}) {
      Map<String, String> env = none == null ? Map.of() : Map.of("CUDA_VISIBLE_DEVICES", none);
      assertEquals("cpu", GpuAssignment.choose(Backend.AUTO, view(List.of(), env)).backend(), "env " + none);
    }
    GpuAssignment forced = GpuAssignment.choose(Backend.CUDA, view(List.of(), Map.of()));
    assertEquals("cuda", forced.backend());
    assertEquals(0, forced.device());
  }

  @Test
  void backendCpuIgnoresAssignedGpus() {
    GpuAssignment a = GpuAssignment.choose(Backend.CPU, view(List.of("1"), Map.of("CUDA_VISIBLE_DEVICES", "1")));
    assertEquals("cpu", a.backend());
    assertEquals("--backend cpu", a.reason());
  }

  @Test
  void unusableAddressNamesTheDiscoveryScript() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> GpuAssignment.choose(Backend.AUTO, view(List.of("GPU-1a2b"), Map.of())));
    assertTrue(e.getMessage().contains("GPU-1a2b") && e.getMessage().contains("discoveryScript"), e.getMessage());
  }

  @Test
  void visibleDevicesStopsAtTheFirstInvalidEntry() {
    assertEquals(List.of("0", "1"), GpuAssignment.visibleDevices(" 0, 1,-1,2"));
  }
}
