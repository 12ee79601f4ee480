package io.vicinity.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphGetNodes;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphUpload;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.vicinity.kernels.Arena;
import io.vicinity.kernels.Shapes;
import io.vicinity.kernels.Tensor;
import java.util.function.Function;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;

/**
 * Captures a whole device-side forward pass into one CUDA graph for a fixed input shape, to be replayed
 * with one cuGraphLaunch (see {@link CapturedForward}).
 *
 * <p>How: a persistent input tensor is allocated, the forward runs once eagerly on it (so every pool block
 * it needs exists and one-time work such as shared-memory attributes is done), then runs again between
 * cuStreamBeginCapture (thread-local mode) and cuStreamEndCapture, and the graph is instantiated. Every
 * block acquired from the pool meanwhile belongs to a {@link DevicePool.Scope}: blocks freed during the
 * forward are reused only inside it, and none goes back to the shared pool until the CapturedForward is
 * closed, so the addresses baked into the graph stay valid and untouched by other work. A capture that would
 * need cuMemAlloc, a host sync or an upload fails with an exception and leaves the pool as it was.
 *
 * <p>{@code forward} must be pure device work on the backend: no toHost/fromHost/synchronize, and the
 * same launches for the same shapes every call. The backend is locked for the whole capture.
 */
public final class CudaGraphs {
  private CudaGraphs() {}

  public static CapturedForward capture(CudaBackend backend, int[] inputShape, Function<Tensor, Tensor[]> forward) {
    String what = "CUDA graph of input " + Shapes.str(inputShape);
    synchronized (backend) {
      backend.bind();
      DevicePool pool = backend.pool();
      CUstream stream = backend.stream();
      Arena arena = backend.openArena(what);
      DevicePool.Scope scope = pool.beginScope();
      CUgraph graph = null;
      try {
        CudaTensor input = (CudaTensor) backend.allocate(inputShape);
        CudaException.check(cuMemsetD8Async(input.ptr(what), (byte) 0, input.bytes(), stream), "zero graph input");
        for (Tensor t : forward.apply(input)) { // warm-up, not captured
          t.close();
        }
        CudaException.check(cuStreamSynchronize(stream), "warm-up forward of " + what);
        long allocs = pool.allocCalls();
        CudaException.check(cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
            "cuStreamBeginCapture");
        Tensor[] outputs;
        try {
          outputs = forward.apply(input);
        } catch (RuntimeException | Error e) {
          cuStreamEndCapture(stream, new CUgraph()); // ends the (now invalid) capture; its status is e's
          throw new IllegalStateException(what + ": the forward failed under capture (a host sync, upload or "
              + "download inside it?): " + e, e);
        }
        graph = new CUgraph();
        CudaException.check(cuStreamEndCapture(stream, graph), "cuStreamEndCapture for " + what);
        if (pool.allocCalls() != allocs) {
          throw new IllegalStateException(what + ": the captured forward called cuMemAlloc "
              + (pool.allocCalls() - allocs) + " times (its allocations differ from the warm-up run)");
        }
        for (Tensor t : outputs) {
          if (!(t instanceof CudaTensor) || t.backend() != backend || t.isClosed()) {
            throw new IllegalStateException(what + ": forward must return open tensors of this backend, got " + t);
          }
        }
        long[] nodes = {-1};
        try {
          cuGraphGetNodes(graph, null, nodes); // only the count (informational)
        } catch (RuntimeException e) {
          nodes[0] = -1;
        }
        CUgraphExec exec = new CUgraphExec();
        CudaException.check(cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate for " + what);
        CudaException.check(cuGraphUpload(exec, stream), "cuGraphUpload");
        CudaException.check(cuStreamSynchronize(stream), "graph upload");
        pool.endScope(scope);
        arena.seal();
        return new CapturedForward(backend, arena, scope, graph, exec, input, outputs, nodes[0]);
      } catch (RuntimeException | Error e) {
        if (graph != null) {
          cuGraphDestroy(graph);
        }
        pool.endScope(scope);
        arena.close(); // tensors made here go back to the scope...
        cuStreamSynchronize(stream);
        pool.closeScope(scope); // ...and the scope's blocks to the shared pool
        throw e;
      }
    }
  }
}
