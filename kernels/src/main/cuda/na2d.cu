// 2-D (dilated) neighborhood attention forward, exactly the rule of docs/design/neighborhood-attention.md.
//   qkv [B, H, W, 3, heads, D] (strides s_*), rpb [heads, 2k-1, 2k-1] or null, out [B, H, W, heads, D].
// Two kernels, chosen by the Java dispatch switch (KernelCatalog.naKernel):
//  * na2d_tc_<dtype>_d<D> (bf16/f16, D = 32 or 64, k <= 13): fused tensor-core kernel. Each dilation group
//    (gy, gx) is treated as a dense sub-map; a CTA takes an 8x8 tile of queries of one group, stages the
//    keys/values of the tile's halo (<= (8+k-1)^2 tokens) in shared memory (cp.async, rows padded to a
//    multiple of 8 keys; K and V fragments by ldmatrix / ldmatrix.trans), and each warp computes its 16
//    queries' scores against its halo rows with mma.sync (fp32 accumulate), masks to the exact k x k window,
//    adds the bias, runs an online softmax and multiplies by V, all in registers. Scores never leave the SM.
//    Dilated layers therefore cost about what undilated ones do.
//  * na2d_ref_<dtype> (any dtype, any D, any k): one warp per query, generic fallback (used for f32, where
//    fp32 accuracy is required, and for shapes the fused kernel does not take).
#include "common.cuh"
#include "tensor_core.cuh"

namespace vc {

struct NaParams {
  const void* qkv;
  const void* rpb;
  void* out;
  i64 batch, height, width, heads, head_dim, kernel, dilation;
  i64 s_b, s_y, s_x;  // qkv strides in elements (token, row, image); q at +0, k at +C, v at +2C
  i64 o_b, o_y, o_x;  // out strides in elements
  float scale;
  int pad_;
};

// Window start along one axis, in group coordinates (the spec's sp): clamp(ip - k/2, 0, Lg - k).
__device__ __forceinline__ int group_start(int ip, int lg, int k) { return max(0, min(ip - k / 2, lg - k)); }
__device__ __forceinline__ int group_len(i64 len, int d, int g) { return (int)(len / d + (g < len % d ? 1 : 0)); }

// ------------------------------------------------------------------ generic reference kernel
constexpr int REF_WARPS = 4, REF_MAX_KK = 169, REF_MAX_D = 256;

template <typename T>
__device__ void na2d_ref(const NaParams p) {
  __shared__ float s_p[REF_WARPS][REF_MAX_KK];
  __shared__ float s_q[REF_WARPS][REF_MAX_D];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const i64 nq = p.batch * p.heads * p.height * p.width;
  const i64 q = (i64)blockIdx.x * REF_WARPS + warp;
  if (q >= nq) return;
  const int k = (int)p.kernel, d = (int)p.dilation, D = (int)p.head_dim, kk = k * k;
  const i64 C = p.heads * p.head_dim;
  i64 t = q;
  const int x = (int)(t % p.width); t /= p.width;
  const int y = (int)(t % p.height); t /= p.height;
  const int h = (int)(t % p.heads);
  const i64 b = t / p.heads;
  const T* qkv = (const T*)p.qkv + b * p.s_b + (i64)h * D;
  const T* qp = qkv + y * p.s_y + x * p.s_x;
  for (int i = lane; i < D; i += 32) s_q[warp][i] = to_f(qp[i]);
  __syncwarp();
  const int sy = group_start(y / d, group_len(p.height, d, y % d), k) * d + y % d;
  const int sx = group_start(x / d, group_len(p.width, d, x % d), k) * d + x % d;
  const T* rpb = (const T*)p.rpb;
  const int rw = 2 * k - 1;
  float m = -INFINITY;
  for (int n = lane; n < kk; n += 32) {
    const int ky = sy + (n / k) * d, kx = sx + (n % k) * d;
    const T* kp = qkv + ky * p.s_y + kx * p.s_x + C;
    float s = 0.f;
    for (int i = 0; i < D; ++i) s = fmaf(s_q[warp][i], to_f(kp[i]), s);
    s *= p.scale;
    if (rpb) s += to_f(rpb[((i64)h * rw + (k - 1) + (ky - y) / d) * rw + (k - 1) + (kx - x) / d]);
    s_p[warp][n] = s;
    m = fmaxf(m, s);
  }
  m = warp_max(m);
  float l = 0.f;
  for (int n = lane; n < kk; n += 32) {
    float e = expf(s_p[warp][n] - m);
    s_p[warp][n] = e;
    l += e;
  }
  const float inv = 1.0f / warp_sum(l);
  __syncwarp();
  T* op = (T*)p.out + b * p.o_b + y * p.o_y + x * p.o_x + (i64)h * D;
  for (int i = lane; i < D; i += 32) {
    float acc = 0.f;
    for (int n = 0; n < kk; ++n) {
      const int ky = sy + (n / k) * d, kx = sx + (n % k) * d;
      acc = fmaf(s_p[warp][n], to_f(qkv[ky * p.s_y + kx * p.s_x + 2 * C + i]), acc);
    }
    op[i] = from_f<T>(acc * inv);
  }
}

// ------------------------------------------------------------------ fused tensor-core kernel
constexpr int TC_TILE = 8;             // 8 x 8 queries of one dilation group per CTA
constexpr int TC_WARPS = 4;            // warp w: tile rows 2w and 2w+1 (16 queries = one m16 MMA row block)
constexpr int TC_CHUNK = 64;           // keys per online-softmax step
constexpr int TC_MAX_K = 13;

// Shared-memory layout, shared with the Java side (KernelCatalog.naSharedBytes). The halo is stored row by
// row with a pitch of P = roundup8(halo width) key slots, so every 8-key MMA block lies inside one halo row;
// the slots past the halo (padding columns and a 64-slot tail that the last chunk may read) are zeros.
__host__ __device__ constexpr int tc_pitch(int width) { return (width + 7) & ~7; }
__host__ __device__ constexpr int tc_keys_max(int k) { return (TC_TILE + k - 1) * tc_pitch(TC_TILE + k - 1) + TC_CHUNK; }


__device__ __forceinline__ uint32_t smem_u32(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }
// 16-byte global -> shared copy; src_bytes 0 writes zeros (the source is not read).
__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_all;\n" ::: "memory"); }
__device__ __forceinline__ void ldsm_x4(uint32_t addr, uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}
__device__ __forceinline__ void ldsm_x4_t(uint32_t addr, uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}
__device__ __forceinline__ float ex2(float x) {  // 2^x, ex2.approx: 2^-inf = 0
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

template <typename T, int D>
__device__ void na2d_tc(const NaParams p) {
  static_assert(D == 32 || D == 64, "fused NA kernel is specialised for head_dim 32 and 64");
  static_assert(sizeof(T) == 2, "tensor-core path takes 16-bit storage");
  static_assert(2 * TC_MAX_K - 1 <= 25, "the bias table holds (2k-1)^2 <= 625 floats (Java: naSharedBytes)");
  constexpr int KP = D + 8;  // K/V row pitch (halves): conflict-free ldmatrix rows (80 or 144 bytes)
  extern __shared__ __align__(16) unsigned char smem[];
  const int k = (int)p.kernel, dil = (int)p.dilation;
  const int nkmax = tc_keys_max(k);
  T* sK = reinterpret_cast<T*>(smem);                    // [nkmax][KP], key slot = halo row * P + halo col
  T* sV = sK + nkmax * KP;                               // [nkmax][KP]
  float* sRpb = reinterpret_cast<float*>(sV + nkmax * KP);  // [(2k-1)^2], pre-scaled by log2(e)

  // ---- which tile: blockIdx.x = ((gy * dil + gx) * tilesY + ty) * tilesX + tx
  const int lgmaxY = (int)((p.height + dil - 1) / dil), lgmaxX = (int)((p.width + dil - 1) / dil);
  const int tilesY = (lgmaxY + TC_TILE - 1) / TC_TILE, tilesX = (lgmaxX + TC_TILE - 1) / TC_TILE;
  int t = blockIdx.x;
  const int tx = t % tilesX; t /= tilesX;
  const int ty = t % tilesY; t /= tilesY;
  const int gx = t % dil, gy = t / dil;
  const int h = blockIdx.y;
  const i64 b = blockIdx.z;
  const int lgy = group_len(p.height, dil, gy), lgx = group_len(p.width, dil, gx);
  const int qy0 = ty * TC_TILE, qx0 = tx * TC_TILE;
  if (qy0 >= lgy || qx0 >= lgx) return;  // this group is shorter than the longest one
  const int ny = min(TC_TILE, lgy - qy0), nx = min(TC_TILE, lgx - qx0);
  // halo of the tile (group coordinates): union of its queries' windows
  const int hy0 = group_start(qy0, lgy, k), hy1 = group_start(qy0 + ny - 1, lgy, k) + k;
  const int hx0 = group_start(qx0, lgx, k), hx1 = group_start(qx0 + nx - 1, lgx, k) + k;
  const int hw = hx1 - hx0, hrows = hy1 - hy0;
  const int P = tc_pitch(hw);  // key slots per halo row (multiple of 8)
  const i64 C = p.heads * D;
  const T* base = (const T*)p.qkv + b * p.s_b + (i64)h * D;

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int r0 = 2 * warp;  // tile rows of this warp: r0 (fragment rows 0-7), r0+1 (rows 8-15)
  const int qr[2] = {qy0 + min(r0, ny - 1), qy0 + min(r0 + 1, ny - 1)};  // group rows (clamped duplicates are not stored)
  const int qc = qx0 + min(lane >> 2, nx - 1);                           // group column of this lane's fragment rows

  // Q fragments (A operand, rows = queries, cols = head dim), issued before the staging copies
  uint32_t qa[D / 16][4];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const T* qp = base + ((i64)qr[i] * dil + gy) * p.s_y + ((i64)qc * dil + gx) * p.s_x;
#pragma unroll
    for (int s = 0; s < D / 16; ++s) {
      const int dd = s * 16 + (lane & 3) * 2;
      qa[s][i] = *reinterpret_cast<const uint32_t*>(qp + dd);          // a0 (row) / a1 (row + 8)
      qa[s][2 + i] = *reinterpret_cast<const uint32_t*>(qp + dd + 8);  // a2 / a3
    }
  }

  // ---- stage K and V of the halo (row-major, 16-byte cp.async, zeros outside the halo)
  constexpr int CH = D / 8;  // 16-byte chunks per row
  const int nfill = min(nkmax, hrows * P + TC_CHUNK);  // warps read slots < hrows * P + 64
  const uint32_t sK0 = smem_u32(sK), sV0 = smem_u32(sV);
  for (int i = threadIdx.x; i < nfill * CH; i += TC_WARPS * 32) {
    const int slot = i / CH, c = i % CH;
    const int ry = slot / P, rx = slot - ry * P;
    const bool real = ry < hrows && rx < hw;
    const T* tok = base + c * 8;
    if (real) tok += (i64)((hy0 + ry) * dil + gy) * p.s_y + (i64)((hx0 + rx) * dil + gx) * p.s_x;
    const uint32_t off = (uint32_t)(slot * KP + c * 8) * 2;
    cp_async16(sK0 + off, tok + C, real ? 16 : 0);
    cp_async16(sV0 + off, tok + 2 * C, real ? 16 : 0);
  }
  const int rw = 2 * k - 1;
  const float l2e = 1.4426950408889634f;
  for (int i = threadIdx.x; i < rw * rw; i += TC_WARPS * 32)
    sRpb[i] = p.rpb ? to_f(((const T*)p.rpb)[(i64)h * rw * rw + i]) * l2e : 0.f;
  cp_async_wait_all();
  __syncthreads();

  if (r0 >= ny) return;
  int wsy[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) wsy[i] = group_start(qr[i], lgy, k) - hy0;  // window top, halo coords
  const int wsx = group_start(qc, lgx, k) - hx0;                         // window left, halo coords
  const int lc = (lane & 3) * 2;                                         // this lane's column in an 8-key block
  const int cl = lc - wsx;                                               // col + cl in [0, k): inside the window
  // bias index of (halo row y, halo col x = col + lc + e1) for query row i: brow[i] + y * rw + col + e1
  int brow[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) brow[i] = ((k - 1) + hy0 - qr[i]) * rw + (k - 1) + hx0 - qc + lc;

  float o[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float mrow[2] = {-INFINITY, -INFINITY}, lrow[2] = {0.f, 0.f};
  const float sl2 = p.scale * l2e;  // scores in log2 units

  // ldmatrix row addresses: K (non-transposed): lane l -> key (l & 7) of the block, dims (l >> 3) * 8;
  // V (transposed): lane l -> key (l & 7) + ((l >> 3) & 1) * 8 of the 16, dims (l >> 4) * 8
  const uint32_t kaddr = sK0 + (uint32_t)(((lane & 7) * KP + (lane >> 3) * 8) * 2);
  const uint32_t vaddr = sV0 + (uint32_t)((((lane & 7) + ((lane >> 3) & 1) * 8) * KP + (lane >> 4) * 8) * 2);

  // keys this warp can need: halo rows [min window top, max window top + k)
  const int kbeg = wsy[0] * P;
  const int kend = (wsy[1] + k) * P;
  for (int c0 = kbeg; c0 < kend; c0 += TC_CHUNK) {
    float s[TC_CHUNK / 8][4];
#pragma unroll
    for (int j = 0; j < TC_CHUNK / 8; ++j) {
      s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
      const uint32_t ka = kaddr + (uint32_t)((c0 + j * 8) * KP * 2);
#pragma unroll
      for (int g = 0; g < D / 32; ++g) {
        uint32_t b[4];
        ldsm_x4(ka + g * 64, b[0], b[1], b[2], b[3]);  // dims 32g + {0, 8, 16, 24}
        Mma<T>::run(s[j], qa[2 * g], b[0], b[1]);
        Mma<T>::run(s[j], qa[2 * g + 1], b[2], b[3]);
      }
    }
    // mask to the exact window, scale, bias; row max. Block j lies in halo row `row`, columns col .. col+7.
    float cmax[2] = {-INFINITY, -INFINITY};
    int row = c0 / P, col = c0 - row * P;
#pragma unroll
    for (int j = 0; j < TC_CHUNK / 8; ++j) {
      bool cok[2];
#pragma unroll
      for (int e1 = 0; e1 < 2; ++e1) cok[e1] = (unsigned)(col + cl + e1) < (unsigned)k;
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const bool rok = (unsigned)(row - wsy[i]) < (unsigned)k;
        const float* bp = sRpb + brow[i] + row * rw + col;
#pragma unroll
        for (int e1 = 0; e1 < 2; ++e1) {
          const int e = 2 * i + e1;
          const float v = (rok && cok[e1]) ? fmaf(s[j][e], sl2, bp[e1]) : -INFINITY;
          s[j][e] = v;
          cmax[i] = fmaxf(cmax[i], v);
        }
      }
      col += 8;
      if (col >= P) { col -= P; ++row; }
    }
    float corr[2], msub[2];
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      cmax[i] = fmaxf(cmax[i], __shfl_xor_sync(0xffffffffu, cmax[i], 1));
      cmax[i] = fmaxf(cmax[i], __shfl_xor_sync(0xffffffffu, cmax[i], 2));
      const float mnew = fmaxf(mrow[i], cmax[i]);
      corr[i] = (mnew == -INFINITY) ? 1.f : ex2(mrow[i] - mnew);
      msub[i] = (mnew == -INFINITY) ? 0.f : mnew;  // masked scores (-inf) -> 0 either way
      mrow[i] = mnew;
      lrow[i] *= corr[i];
    }
#pragma unroll
    for (int n = 0; n < D / 8; ++n) {
      o[n][0] *= corr[0]; o[n][1] *= corr[0];
      o[n][2] *= corr[1]; o[n][3] *= corr[1];
    }
    // P = exp2(s - m), accumulated into l; then O += P V with P as the A operand
#pragma unroll
    for (int j = 0; j < TC_CHUNK / 8; ++j) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int i = e >> 1;
        const float pe = ex2(s[j][e] - msub[i]);
        s[j][e] = pe;
        lrow[i] += pe;
      }
    }
#pragma unroll
    for (int ks = 0; ks < TC_CHUNK / 16; ++ks) {
      uint32_t pa[4];
      pa[0] = Mma<T>::pack(s[2 * ks][0], s[2 * ks][1]);
      pa[1] = Mma<T>::pack(s[2 * ks][2], s[2 * ks][3]);
      pa[2] = Mma<T>::pack(s[2 * ks + 1][0], s[2 * ks + 1][1]);
      pa[3] = Mma<T>::pack(s[2 * ks + 1][2], s[2 * ks + 1][3]);
      const uint32_t va = vaddr + (uint32_t)((c0 + ks * 16) * KP * 2);
#pragma unroll
      for (int n = 0; n < D / 8; n += 2) {
        uint32_t b[4];
        ldsm_x4_t(va + n * 16, b[0], b[1], b[2], b[3]);  // dims 8n (keys 0-7, 8-15), 8n + 8 (same)
        Mma<T>::run(o[n], pa, b[0], b[1]);
        Mma<T>::run(o[n + 1], pa, b[2], b[3]);
      }
    }
  }
  // normalise and store (only real queries: rows inside the tile and lanes inside the tile's width)
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    lrow[i] += __shfl_xor_sync(0xffffffffu, lrow[i], 1);
    lrow[i] += __shfl_xor_sync(0xffffffffu, lrow[i], 2);
  }
  const bool col_ok = (lane >> 2) < nx;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    if (!col_ok || r0 + i >= ny) continue;
    const float inv = 1.f / lrow[i];
    T* op = (T*)p.out + b * p.o_b + ((i64)qr[i] * dil + gy) * p.o_y + ((i64)qc * dil + gx) * p.o_x + (i64)h * D;
#pragma unroll
    for (int n = 0; n < D / 8; ++n) {
      const int dd = n * 8 + (lane & 3) * 2;
      *reinterpret_cast<uint32_t*>(op + dd) = Mma<T>::pack(o[n][2 * i] * inv, o[n][2 * i + 1] * inv);
    }
  }
}

}  // namespace vc

// Dynamic shared memory the fused kernel needs for kernel size k (Java mirrors this formula).
// side = 8 + k - 1; nkmax = side * roundup8(side) + 64; bytes = 2 * 2 * nkmax * (D + 8) + 4 * 625

#define VC_NA_REF(S, T) \
  extern "C" __global__ void __launch_bounds__(vc::REF_WARPS * 32) vc_na2d_ref_##S(const vc::NaParams p) { vc::na2d_ref<T>(p); }
VC_FOR_EACH_DTYPE(VC_NA_REF)

#define VC_NA_TC(S, T, D) \
  extern "C" __global__ void __launch_bounds__(vc::TC_WARPS * 32) vc_na2d_tc_##S##_d##D(const vc::NaParams p) { vc::na2d_tc<T, D>(p); }
VC_NA_TC(bf16, __nv_bfloat16, 32)
VC_NA_TC(bf16, __nv_bfloat16, 64)
VC_NA_TC(f16, __half, 32)
VC_NA_TC(f16, __half, 64)
