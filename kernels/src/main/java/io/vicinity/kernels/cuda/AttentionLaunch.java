package io.vicinity.kernels.cuda;

import io.vicinity.kernels.AttentionMask;
import io.vicinity.kernels.DType;
import io.vicinity.kernels.Shapes;
import java.util.function.Supplier;
import jcuda.Pointer;

/**
 * One {@code selfAttention} call on the GPU (attention.cu): checks the shapes against the operator contract,
 * picks the kernel through {@link KernelCatalog#attentionKernel} and mirrors {@code struct AttnParams}.
 */
final class AttentionLaunch {
  static final String OP = "selfAttention";
  static final int PARAM_BYTES = 144;

  private final int[] qkvShape;
  private final int batch;
  private final int tokens;
  private final int heads;
  private final int headDim;
  private final AttentionMask mask;
  private final DType dtype;
  private final KernelCatalog.AttnPath path;

  private AttentionLaunch(int[] s, int heads, AttentionMask mask, DType dtype) {
    Shapes.require(mask != null, OP, "mask is null for qkv", s);
    Shapes.require(s.length >= 3 && s[s.length - 1] % 3 == 0, OP, "qkv must be [B, N, 3C] (or [B, T, H, W, 3C]), got", s);
    int c = s[s.length - 1] / 3;
    Shapes.require(heads >= 1 && c % heads == 0, OP, "C=" + c + " is not divisible by heads=" + heads + "; qkv", s);
    long n = 1;
    for (int i = 1; i < s.length - 1; i++) {
      n *= s[i];
    }
    // token indices are 32-bit in the kernels; element offsets are 64-bit
    Shapes.require(n >= 1 && n < Integer.MAX_VALUE - 128, OP, "bad token count " + n + " for qkv", s);
    mask.checkTokens(OP, (int) n);
    this.qkvShape = s.clone();
    this.batch = s[0];
    this.tokens = (int) n;
    this.heads = heads;
    this.headDim = c / heads;
    this.mask = mask;
    this.dtype = dtype;
    this.path = KernelCatalog.attentionPath(dtype, headDim);
    Shapes.require(path != KernelCatalog.AttnPath.GENERIC || headDim <= KernelCatalog.ATTN_REF_MAX_HEAD_DIM, OP,
        "head_dim " + headDim + " > " + KernelCatalog.ATTN_REF_MAX_HEAD_DIM + " is not supported; qkv", s);
    Shapes.require(batch <= 65535 && heads <= 65535, OP, "grid too large for qkv", s);
    // attention.cu Tiles<RADIAL>::fblock divides tile indices through a float estimate, exact below 2^22 tiles
    Shapes.require(!(mask instanceof AttentionMask.Radial) || queryTiles() < (1 << 22), OP,
        "radial masks take at most 2^22 tiles of 4 frames x 16 positions; qkv", s);
    // the wgmma radial kernel maps its launch order (tile, head) in 32-bit arithmetic
    Shapes.require(!(mask instanceof AttentionMask.Radial) || (long) queryTiles() * heads < (1L << 31), OP,
        "radial masks take at most 2^31 tiles x heads; qkv", s);
  }

  static AttentionLaunch plan(int[] qkvShape, int heads, AttentionMask mask, DType dtype) {
    return new AttentionLaunch(qkvShape, heads, mask, dtype);
  }

  int[] outputShape() {
    int[] out = qkvShape.clone();
    out[out.length - 1] = heads * headDim;
    return out;
  }

  KernelCatalog.AttnPath path() {
    return path;
  }

  void launch(KernelLauncher launcher, DevicePtr qkv, DevicePtr out) {
    String kernel = KernelCatalog.attentionKernel(path, dtype, headDim, maskName(mask),
        KernelCatalog.wgmma(launcher.device()));
    Supplier<String> shapes = () -> OP + " qkv " + Shapes.str(qkvShape) + " heads " + heads + " " + mask + " (" + path + ")";
    Pointer args = Pointer.to(params(qkv, out));
    if (path == KernelCatalog.AttnPath.FUSED_TENSOR_CORE) {
      int blocks = queryTiles();
      launcher.launch(kernel, new int[] {blocks, heads, batch}, KernelCatalog.ATTN_THREADS,
          KernelCatalog.attentionSharedBytes(headDim), shapes, args);
    } else {
      long rows = (long) batch * heads * tokens;
      long blocks = (rows + KernelCatalog.ATTN_REF_WARPS - 1) / KernelCatalog.ATTN_REF_WARPS;
      Shapes.require(blocks < Integer.MAX_VALUE, OP, "grid too large for qkv", qkvShape);
      launcher.launch(kernel, new int[] {(int) blocks, 1, 1}, KernelCatalog.ATTN_REF_WARPS * 32, 0, shapes, args);
    }
  }

  /** CTAs per (batch, head): attention.cu's Tiles, 64 consecutive tokens or, radial, 4 frames x 16 positions. */
  int queryTiles() {
    if (mask instanceof AttentionMask.Radial r) {
      return (int) (CudaBackend.ceilDiv(r.frames(), KernelCatalog.ATTN_RADIAL_TILE_FRAMES)
          * CudaBackend.ceilDiv(r.tokensPerFrame(), KernelCatalog.ATTN_RADIAL_TILE_POSITIONS));
    }
    return (int) CudaBackend.ceilDiv(tokens, KernelCatalog.ATTN_TILE);
  }

  static String maskName(AttentionMask mask) {
    if (mask instanceof AttentionMask.Radial) {
      return "radial";
    }
    return mask instanceof AttentionMask.Neighborhood3d ? "na3d" : "dense";
  }

  /** The bytes of {@code struct AttnParams}. */
  byte[] params(DevicePtr qkv, DevicePtr out) {
    long c = (long) heads * headDim;
    ParamBlock b = new ParamBlock(PARAM_BYTES).ptr(qkv).ptr(out)
        .i64(batch).i64(tokens).i64(heads).i64(headDim)
        .i64(tokens * 3L * c).i64(3L * c).i64(tokens * c).i64(c);
    int kind = 0;
    double delta = 0;
    int[] radial = new int[3];
    int[] na = new int[9];
    if (mask instanceof AttentionMask.Radial r) {
      kind = 1;
      delta = r.delta();
      radial = new int[] {r.frames(), r.tokensPerFrame(), r.sink() ? 1 : 0};
    } else if (mask instanceof AttentionMask.Neighborhood3d m) {
      kind = 2;
      na = new int[] {m.frames(), m.height(), m.width(), m.kernelT(), m.kernelH(), m.kernelW(), m.dilationT(),
          m.dilationH(), m.dilationW()};
    }
    b.i64(Double.doubleToRawLongBits(delta)).f32((float) (1.0 / Math.sqrt(headDim))).i32(kind);
    for (int v : radial) {
      b.i32(v);
    }
    for (int v : na) {
      b.i32(v);
    }
    return b.bytes();
  }
}
