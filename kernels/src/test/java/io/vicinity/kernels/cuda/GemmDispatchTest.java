package io.vicinity.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vicinity.kernels.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** GEMM dispatch without a GPU: which kernel serves which product, and that every symbol exists in gemm.cu. */
class GemmDispatchTest {
  @Test
  void modelShapesUseThePipelinedKernels() throws IOException {
    Path cu = Path.of("src/main/cuda/gemm.cu"); // the module directory (Maven) or the repository root (device)
    String src = Files.readString(Files.exists(cu) ? cu : Path.of("kernels").resolve(cu));
    long a = 1 << 20; // a 16-byte aligned address
    int[][] nk = {{192, 64}, {64, 64}, {64, 192}, {384, 128}, {128, 384}, {768, 256}, {256, 768}, {1536, 512},
        {512, 1536}, {1024, 2048}};
    for (int[] s : nk) {
      GemmDispatch.Config c = GemmDispatch.choose(DType.BF16, s[0], s[1], a, a, a, 0, a, a);
      assertTrue(c.kernel().startsWith("vc_gemmp_bf16_"), "N " + s[0] + " K " + s[1] + ": " + c.kernel());
      assertEquals(s[0] % 128 == 0 ? 128 : 64, c.bn());
      assertTrue(c.sharedBytes() <= 227 * 1024, c.kernel());
      // the macro instantiation VC_GEMMP(SUF, T, BM, BN, ..., STAGES, ...) that defines this symbol
      String stages = c.kernel().substring(c.kernel().lastIndexOf('s') + 1);
      assertTrue(src.contains("VC_GEMMP(SUF, T, " + c.bm() + ", " + c.bn() + ", ") && src.contains(", " + stages + ", "),
          c.kernel() + " not instantiated in gemm.cu");
    }
    assertEquals(GemmDispatch.pipeSharedBytes(128, 64, 3), 46080);
    assertEquals(GemmDispatch.pipeSharedBytes(128, 128, 3), 67584); // the fp32 epilogue tile is the larger
  }

  @Test
  void unalignedOrOddShapesUseTheGeneralKernel() {
    long a = 1 << 20;
    assertEquals("vc_gemm_bf16", GemmDispatch.choose(DType.BF16, 130, 96, a, a, a).kernel());
    assertEquals("vc_gemm_f16", GemmDispatch.choose(DType.F16, 64, 27, a, a, a).kernel());
    assertEquals("vc_gemm_bf16", GemmDispatch.choose(DType.BF16, 64, 64, a + 8, a, a).kernel());
    assertEquals("vc_gemm_f32", GemmDispatch.choose(DType.F32, 64, 64, a, a, a).kernel());
    assertEquals("vc_gemm_bf16", GemmDispatch.choose(DType.BF16, 8192, 8192, a, a, a).kernel()); // measured faster
  }
}
