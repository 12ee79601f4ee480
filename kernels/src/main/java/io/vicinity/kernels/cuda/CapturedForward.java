package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Shapes;
import io.vicinity.kernels.Tensor;
import java.util.Arrays;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;

/**
 * A forward pass captured by {@link CudaGraphs#capture} for one input shape. {@link #run} copies the input
 * into the graph's persistent input (device to device, on the backend's stream), launches the graph and
 * returns the graph's persistent output tensors: valid until the next run or close, to be read (toHost)
 * by the caller; do not close them. Callers sharing one instance across threads serialise run + download
 * themselves. {@link #close} frees the graph and returns all its memory to the backend's pool.
 */
public final class CapturedForward implements AutoCloseable {
  private final CudaBackend backend;
  private final Arena arena;
  private final DevicePool.Scope scope;
  private final CUgraph graph;
  private final CUgraphExec exec;
  private final CudaTensor input;
  private final Tensor[] outputs;
  private final long nodes;
  private boolean closed;

  CapturedForward(CudaBackend backend, Arena arena, DevicePool.Scope scope, CUgraph graph, CUgraphExec exec,
      CudaTensor input, Tensor[] outputs, long nodes) {
    this.backend = backend;
    this.arena = arena;
    this.scope = scope;
    this.graph = graph;
    this.exec = exec;
    this.input = input;
    this.outputs = outputs.clone();
    this.nodes = nodes;
  }

  /** Replays the graph on {@code x} (same shape and backend); returns the persistent outputs. */
  public Tensor[] run(Tensor x) {
    synchronized (backend) {
      backend.bind();
      if (closed) {
        throw new IllegalStateException("captured forward is closed");
      }
      if (!(x instanceof CudaTensor cx) || x.backend() != backend) {
        throw new IllegalArgumentException("graph input " + x + " does not belong to this CUDA backend");
      }
      Shapes.require(Arrays.equals(x.shape(), input.shape()), "graph run", "input shape must be", input.shape(),
          x.shape());
      if (cx != input) {
        CudaException.check(cuMemcpyDtoDAsync(input.ptr("graph run"), cx.ptr("graph run"), input.bytes(),
            backend.stream()), "cuMemcpyDtoDAsync(graph input)");
      }
      CudaException.check(cuGraphLaunch(exec, backend.stream()), "cuGraphLaunch");
      return outputs.clone();
    }
  }

  /** The persistent input tensor (a caller may write it directly and pass it to {@link #run}). */
  public Tensor input() {
    return input;
  }

  public int[] inputShape() {
    return input.shape();
  }

  /** Nodes in the captured graph (kernels, memsets and copies). */
  public long graphNodes() {
    return nodes;
  }

  /** Device bytes reserved for this graph (its input, outputs and intermediates). */
  public long deviceBytes() {
    synchronized (backend.pool()) {
      return scope.bytes();
    }
  }

  @Override
  public void close() {
    synchronized (backend) {
      if (closed) {
        return;
      }
      closed = true;
      for (Tensor t : outputs) {
        t.close(); // with the input, normally the arena's; their blocks park in the scope
      }
      input.close();
      arena.close();
      try {
        backend.bind();
        cuGraphExecDestroy(exec); // a launch in flight finishes first (the driver frees it on completion)
        cuGraphDestroy(graph);
      } catch (IllegalStateException backendClosed) {
        // the backend freed all device memory already; nothing to return
      }
      backend.pool().closeScope(scope); // stream order keeps the blocks away from later work until then
    }
  }
}
