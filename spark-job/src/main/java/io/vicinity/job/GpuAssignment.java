package io.vicinity.job;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Which device a task's model runs on, decided by an ordered list of checks that each give a reason:
 * the GPU Spark assigned to the task ({@code spark.task.resource.gpu.amount}), else the devices in
 * {@code CUDA_VISIBLE_DEVICES}, else the CPU. {@code --backend cpu} always wins; {@code --backend cuda}
 * without either source uses GPU 0 (local mode on a GPU machine).
 *
 * @param backend "cpu" or "cuda", as the inference library takes it
 * @param device CUDA ordinal inside this process (0 on the CPU)
 * @param reason one line for the log: why this device
 */
public record GpuAssignment(String backend, int device, String reason) {

  /** Spark's resource name for GPUs. */
  public static final String GPU = "gpu";

  /** What a task can see of its environment; a fake in tests, {@link #current()} on executors. */
  public interface View {
    /** The addresses of resource {@code name} assigned to this task (empty when none). */
    List<String> taskResource(String name);

    /** An environment variable, or null. */
    String env(String name);
  }

  /** The running task's resources (none outside a task) and the process environment. */
  public static View current() {
    TaskContext task = TaskContext.get();
    return new View() {
      @Override
      public List<String> taskResource(String name) {
        if (task == null) {
          return List.of();
        }
        Map<String, ResourceInformation> resources =
            scala.jdk.javaapi.CollectionConverters.asJava(task.resources());
        ResourceInformation info = resources.get(name);
        return info == null ? List.of() : Arrays.asList(info.addresses());
      }

      @Override
      public String env(String name) {
        return System.getenv(name);
      }
    };
  }

  /** Decides for {@code requested} (the --backend option: auto, cpu or cuda). */
  public static GpuAssignment choose(JobOptions.Backend requested, View view) {
    if (requested == JobOptions.Backend.CPU) {
      return new GpuAssignment("cpu", 0, "--backend cpu");
    }
    List<String> visible = visibleDevices(view.env("CUDA_VISIBLE_DEVICES"));
    List<String> assigned = view.taskResource(GPU);
    if (!assigned.isEmpty()) {
      String address = assigned.get(0).trim();
      return new GpuAssignment("cuda", ordinalOf(address, visible),
          "Spark assigned GPU " + address + " to the task"
              + (visible.isEmpty() ? "" : " (CUDA_VISIBLE_DEVICES=" + String.join(",", visible) + ")"));
    }
    if (!visible.isEmpty()) {
      return new GpuAssignment("cuda", 0,
          "no GPU in the task's resources; CUDA_VISIBLE_DEVICES=" + String.join(",", visible));
    }
    if (requested == JobOptions.Backend.CUDA) {
      return new GpuAssignment("cuda", 0, "--backend cuda, no GPU assigned by Spark: using GPU 0");
    }
    return new GpuAssignment("cpu", 0, "no GPU in the task's resources and CUDA_VISIBLE_DEVICES is unset");
  }

  /**
   * CUDA numbers devices inside the process from 0 over CUDA_VISIBLE_DEVICES, while Spark's discovery
   * script reports nvidia-smi indexes: an address found in the visible list maps to its position there.
   */
  static int ordinalOf(String address, List<String> visible) {
    int index = visible.indexOf(address);
    if (index >= 0) {
      return index;
    }
    try {
      int ordinal = Integer.parseInt(address);
      if (ordinal < 0) {
        throw new NumberFormatException();
      }
      return ordinal;
    } catch (NumberFormatException e) {
      throw new IllegalStateException("GPU address '" + address + "' from Spark's resources is neither "
          + "a device index nor listed in CUDA_VISIBLE_DEVICES=" + String.join(",", visible)
          + "; check spark.executor.resource.gpu.discoveryScript");
    }
  }

  /** The listed devices; unset, empty, "-1" and "NoDevFiles" (YARN without GPUs) mean none. */
  static List<String> visibleDevices(String env) {
    if (env == null || env.isBlank() || env.trim().equals("NoDevFiles")) {
      return List.of();
    }
    List<String> devices = new ArrayList<>();
    for (String part : env.split(",")) {
      String device = part.trim();
      if (device.isEmpty() || device.startsWith("-")) {
        break; // CUDA stops at the first invalid entry
      }
      devices.add(device);
    }
    return List.copyOf(devices);
  }

  /** For logs and the summary. */
  public String describe() {
    return backend.equals("cpu") ? "cpu (" + reason + ")" : "cuda:" + device + " (" + reason + ")";
  }
}
