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
  private static final long A = 1 << 20; // a 16-byte aligned address
  private static final int H100_SMS = 132;

  private static String gemmSource() throws IOException {
    Path cu = Path.of("src/main/cuda/gemm.cu"); // the module directory (Maven) or the repository root (device)
    return Files.readString(Files.exists(cu) ? cu : Path.of("kernels").resolve(cu));
  }

  @Test
  void modelShapesUseThePipelinedKernels() throws IOException {
    String src = gemmSource();
    int[][] nk = {{192, 64}, {64, 64}, {64, 192}, {384, 128}, {128, 384}, {768, 256}, {256, 768}, {1536, 512},
        {512, 1536}, {1024, 2048}};
    for (int[] s : nk) {
      GemmDispatch.Config c = GemmDispatch.choose(DType.BF16, 50176, s[0], s[1], false, H100_SMS, A, A, A, 0, A, A);
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

  /** On Hopper: the wgmma kernels, the tile width by N, K and whole waves (the H100's measured winners). */
  @Test
  void hopperUsesTheWgmmaKernels() throws IOException {
    String src = gemmSource();
    long[][] cases = { // M, N, K, expected BN
        {802816, 64, 192, 64}, {802816, 192, 64, 64}, {802816, 64, 64, 64}, // K <= 64: 64 wide, three per SM
        {200704, 384, 128, 128}, {50176, 768, 256, 128},
        {12544, 1536, 512, 128}, // K <= 512: two 128 x 128 CTAs per SM
        {12544, 768, 3072, 192}, // 392 tiles of 192 = 3 waves of 132; 256 would be 294 tiles, also 3 waves
        {12544, 768, 768, 192}, {12544, 2304, 768, 192}, {6272, 768, 3072, 192},
        {12544, 3072, 768, 192}, // 1568 tiles of 192 = 12 waves, 1176 of 256 = 9: equal columns, the first wins
        {1024, 4096, 4096, 256}, // 8 x 16 tiles of 256: one wave; 8 x 22 of 192: two; 8 x 32 of 128: one, at 0.85
        {1000, 8, 200, 64}, {130, 200, 520, 192}};
    for (long[] c : cases) {
      GemmDispatch.Config cfg = GemmDispatch.choose(DType.BF16, c[0], c[1], c[2], true, H100_SMS, A, A, A, 0, A, A);
      String at = c[0] + " x " + c[2] + " x " + c[1];
      assertEquals(c[3], cfg.bn(), at + ": " + cfg.kernel());
      assertTrue(cfg.kernel().startsWith("vc_gemmw_bf16_128x" + c[3] + "s"), at + ": " + cfg.kernel());
      int stages = Integer.parseInt(cfg.kernel().substring(cfg.kernel().lastIndexOf('s') + 1));
      assertTrue(src.contains("VC_GEMMW(SUF, T, " + cfg.bn() + ", " + stages + ", "), cfg.kernel() + " not instantiated");
      assertEquals(GemmDispatch.wgSharedBytes(cfg.bn(), stages), cfg.sharedBytes());
      assertTrue(cfg.sharedBytes() <= 227 * 1024, cfg.kernel());
    }
    // smem: 1024 + max(ring, fp32 epilogue tile); two 128 x 128 CTAs of 3 stages fit one SM (228 KiB)
    assertEquals(1024 + 4 * 384 * 128, GemmDispatch.wgSharedBytes(256, 4));
    assertTrue(2 * GemmDispatch.wgSharedBytes(128, 3) <= 228 * 1024 && 2 * GemmDispatch.wgSharedBytes(64, 4) <= 228 * 1024);
    assertTrue(3 * GemmDispatch.wgSharedBytes(64, 3) <= 228 * 1024);
    assertEquals("vc_gemmw_bf16_128x64s3",
        GemmDispatch.choose(DType.BF16, 802816, 192, 64, true, H100_SMS, A, A, A, 0, A, A).kernel());
    // f16 too; unaligned operands and odd K still take the general kernel
    assertEquals("vc_gemmw_f16_128x128s3", GemmDispatch.choose(DType.F16, 4096, 256, 256, true, H100_SMS, A, A).kernel());
    assertEquals("vc_gemm_bf16", GemmDispatch.choose(DType.BF16, 4096, 256, 27, true, H100_SMS, A, A).kernel());
    assertEquals("vc_gemm_bf16", GemmDispatch.choose(DType.BF16, 4096, 256, 256, true, H100_SMS, A + 8, A).kernel());
  }

  /** 3x3 convolutions on Hopper: the implicit-GEMM kernel where channels and addresses allow, else none (im2col). */
  @Test
  void hopperConvolutionsUseTheImplicitGemm() throws IOException {
    String src = gemmSource();
    // UperNet's fpn_bottleneck at batch 16: 262144 pixels, 512 <- 9 x 2048; a DiNAT downsampler, 64 <- 9 x 32
    GemmDispatch.Config c = GemmDispatch.chooseConv(DType.BF16, 262144, 512, 2048, 9 * 2048, true, H100_SMS, A, A, A);
    assertEquals("vc_convw_bf16_128x256s4", c.kernel());
    assertEquals(GemmDispatch.wgSharedBytes(256, 4), c.sharedBytes());
    c = GemmDispatch.chooseConv(DType.F16, 200704, 64, 32, 9 * 32, true, H100_SMS, A, A, A);
    assertEquals("vc_convw_f16_128x64s4", c.kernel());
    assertTrue(src.contains("vc_convw_##SUF##_128x##BN##s##ST") && src.contains("VC_GEMMW(SUF, T, 64, 4, "));
    assertEquals(null, GemmDispatch.chooseConv(DType.BF16, 4096, 64, 12, 108, true, H100_SMS, A, A, A)); // Cin 12
    assertEquals(null, GemmDispatch.chooseConv(DType.BF16, 4096, 60, 64, 576, true, H100_SMS, A, A, A)); // Cout 60
    assertEquals(null, GemmDispatch.chooseConv(DType.BF16, 4096, 64, 64, 576, true, H100_SMS, A + 2, A, A));
    assertEquals(null, GemmDispatch.chooseConv(DType.BF16, 4096, 64, 64, 576, false, H100_SMS, A, A, A)); // no wgmma
    assertEquals(null, GemmDispatch.chooseConv(DType.F32, 4096, 64, 64, 576, true, H100_SMS, A, A, A));
    assertEquals(null, GemmDispatch.chooseConv(DType.BF16, 65536L * 128, 64, 64, 576, true, H100_SMS, A, A, A));
  }

  @Test
  void unalignedOrOddShapesUseTheGeneralKernel() {
    assertEquals("vc_gemm_bf16", GemmDispatch.choose(DType.BF16, 100, 130, 96, false, H100_SMS, A, A, A).kernel());
    assertEquals("vc_gemm_f16", GemmDispatch.choose(DType.F16, 100, 64, 27, false, H100_SMS, A, A, A).kernel());
    assertEquals("vc_gemm_bf16", GemmDispatch.choose(DType.BF16, 100, 64, 64, false, H100_SMS, A + 8, A, A).kernel());
    assertEquals("vc_gemm_f32", GemmDispatch.choose(DType.F32, 100, 64, 64, true, H100_SMS, A, A, A).kernel());
    // measured faster than the pipelined mma.sync kernel at 8192^3
    assertEquals("vc_gemm_bf16", GemmDispatch.choose(DType.BF16, 8192, 8192, 8192, false, H100_SMS, A, A, A).kernel());
  }
}
