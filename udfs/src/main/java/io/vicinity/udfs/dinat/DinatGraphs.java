package io.vicinity.udfs.dinat;

import io.vicinity.kernels.Tensor;
import io.vicinity.kernels.cuda.CapturedForward;
import io.vicinity.kernels.cuda.CudaBackend;
import io.vicinity.kernels.cuda.CudaGraphs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link DinatModel#forwardGraphed}'s cache: one captured CUDA graph of the device-side forward per input
 * shape (batch, height, width, channels), captured on first use and kept until {@link #close}. Each graph's
 * replay and the download of its outputs happen under the graph's lock, so concurrent callers of one shape
 * take turns and callers of different shapes only share the backend's lock.
 */
final class DinatGraphs implements AutoCloseable {
  private final Map<List<Integer>, CapturedForward> graphs = new HashMap<>();
  private boolean closed;

  /** Replays (capturing first if new) the graph for {@code pixels}' shape; returns each output on the host. */
  float[][] run(CudaBackend gpu, Tensor pixels, Function<Tensor, Tensor[]> forward) {
    CapturedForward g = graph(gpu, pixels.shape(), forward);
    synchronized (g) {
      Tensor[] out = g.run(pixels);
      float[][] host = new float[out.length][];
      for (int i = 0; i < out.length; i++) {
        host[i] = gpu.toHost(out[i]);
      }
      return host;
    }
  }

  private synchronized CapturedForward graph(CudaBackend gpu, int[] shape, Function<Tensor, Tensor[]> forward) {
    if (closed) {
      throw new IllegalStateException("model is closed");
    }
    List<Integer> key = new ArrayList<>();
    for (int s : shape) {
      key.add(s);
    }
    CapturedForward g = graphs.get(key);
    if (g == null) {
      g = CudaGraphs.capture(gpu, shape, forward);
      graphs.put(key, g);
    }
    return g;
  }

  synchronized int size() {
    return graphs.size();
  }

  /** Frees every graph (their device memory returns to the backend's pool); later calls capture anew. */
  synchronized void clear() {
    for (CapturedForward g : graphs.values()) {
      synchronized (g) {
        g.close();
      }
    }
    graphs.clear();
  }

  @Override
  public synchronized void close() {
    clear();
    closed = true;
  }
}
