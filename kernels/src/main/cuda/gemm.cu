// Matrix-product family: out[m, n] = residual + scale[n] * act(sum_k x[m, k] w[n, k] + bias[n]).
// x is [M, K] (row stride ldx), w is [N, K] (PyTorch's [out, in]), out/residual are [M, N] (stride ldo).
// bf16/f16, K and N multiples of 8 and 16-byte aligned operands (every model shape): on Hopper gemm_wg (wgmma,
// 128 x 64..256 tiles; also the implicit-GEMM convolutions, A read from the input's windows), elsewhere the
// pipelined kernel gemm_pipe (cp.async 16-byte loads, 3-4 stage shared-memory ring, 128x64 or 128x128 tiles, WMMA,
// both with a vectorised epilogue through a shared-memory fp32 tile). Otherwise: the register-prefetch kernel gemm_tc
// (WMMA -> mma.sync HMMA, fp32 accumulate), 128x128x32 tiles, 8 warps, scalar epilogue.
// f32: SIMT fp32 FMA (keeps float32 accuracy; no tf32), 64x64x16 tiles, 4x4 outputs per thread.
// Launch: gemm_* with grid (ceil(N/BN), ceil(M/BM)); parameters mirror io.vicinity.kernels.cuda.GemmParams.
#include <mma.h>
#include <type_traits>
#include "common.cuh"
#include "wgmma.cuh"

namespace vc {

struct GemmParams {
  const void* x;
  const void* w;
  const void* bias;      // [N] or null
  const void* scale;     // [N] or null
  const void* residual;  // [M, N] (stride ldo) or null
  void* out;
  i64 m, n, k;
  i64 ldx, ldw, ldo;
  int act;
  int pad_;
};

template <typename T>
__device__ __forceinline__ void epilogue_store(const GemmParams& p, i64 row, i64 col, float v) {
  if (row >= p.m || col >= p.n) return;
  if (p.bias) v += to_f(((const T*)p.bias)[col]);
  v = activate(v, p.act);
  if (p.scale) v *= to_f(((const T*)p.scale)[col]);
  if (p.residual) v += to_f(((const T*)p.residual)[row * p.ldo + col]);
  ((T*)p.out)[row * p.ldo + col] = from_f<T>(v);
}

// ---- tensor-core path (bf16 / f16) ----
constexpr int TC_BM = 128, TC_BN = 128, TC_BK = 32, TC_PAD = 8, TC_LD = TC_BK + TC_PAD, TC_THREADS = 256;
static_assert(TC_THREADS == 256, "8 warps: 2 (m) x 4 (n), 64x32 per warp");

// Loads a 128 x 32 tile of a K-contiguous matrix (rows [r0, r0+128), cols [k0, k0+32)) into 2 uint4 per thread.
template <typename T>
__device__ __forceinline__ void tc_load(const T* __restrict__ a, i64 rows, i64 k, i64 ld, i64 r0, i64 k0, bool vec,
                                        uint4 (&buf)[2]) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    int idx = threadIdx.x + i * TC_THREADS;  // 0..511: row = idx / 4, 8-element chunk = idx % 4
    i64 r = r0 + (idx >> 2), c = k0 + (idx & 3) * 8;
    if (vec && r < rows && c + 8 <= k) {
      buf[i] = *reinterpret_cast<const uint4*>(a + r * ld + c);
    } else {
      union { uint4 u; T h[8]; } t;
#pragma unroll
      for (int j = 0; j < 8; ++j) t.h[j] = (r < rows && c + j < k) ? a[r * ld + c + j] : from_f<T>(0.f);
      buf[i] = t.u;
    }
  }
}
template <typename T>
__device__ __forceinline__ void tc_store(T* s, const uint4 (&buf)[2]) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    int idx = threadIdx.x + i * TC_THREADS;
    *reinterpret_cast<uint4*>(s + (idx >> 2) * TC_LD + (idx & 3) * 8) = buf[i];
  }
}

template <typename T>
__device__ void gemm_tc(const GemmParams p) {
  using namespace nvcuda;
  __shared__ __align__(16) unsigned char smem[2 * 2 * TC_BM * TC_LD * sizeof(T)];
  T* sa = reinterpret_cast<T*>(smem);                 // [2][128][TC_LD]
  T* sb = sa + 2 * TC_BM * TC_LD;                      // [2][128][TC_LD]
  const T* x = (const T*)p.x;
  const T* w = (const T*)p.w;
  const i64 m0 = (i64)blockIdx.y * TC_BM, n0 = (i64)blockIdx.x * TC_BN;
  const int warp = threadIdx.x >> 5, wm = warp >> 2, wn = warp & 3;  // warp tile: rows wm*64, cols wn*32
  const bool vec = (p.k % 8 == 0) && (p.ldx % 8 == 0) && (p.ldw % 8 == 0);

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[4][2];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);

  uint4 ra[2], rb[2];
  const int ktiles = (int)((p.k + TC_BK - 1) / TC_BK);
  tc_load<T>(x, p.m, p.k, p.ldx, m0, 0, vec, ra);
  tc_load<T>(w, p.n, p.k, p.ldw, n0, 0, vec, rb);
  tc_store<T>(sa, ra);
  tc_store<T>(sb, rb);
  __syncthreads();
  for (int kt = 0; kt < ktiles; ++kt) {
    const int cur = kt & 1;
    if (kt + 1 < ktiles) {  // prefetch the next tile into registers while the tensor cores work
      tc_load<T>(x, p.m, p.k, p.ldx, m0, (i64)(kt + 1) * TC_BK, vec, ra);
      tc_load<T>(w, p.n, p.k, p.ldw, n0, (i64)(kt + 1) * TC_BK, vec, rb);
    }
    const T* ca = sa + cur * TC_BM * TC_LD;
    const T* cb = sb + cur * TC_BN * TC_LD;
#pragma unroll
    for (int kk = 0; kk < TC_BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa[4];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb[2];
#pragma unroll
      for (int i = 0; i < 4; ++i) wmma::load_matrix_sync(fa[i], ca + (wm * 64 + i * 16) * TC_LD + kk, TC_LD);
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], cb + (wn * 32 + j * 16) * TC_LD + kk, TC_LD);
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
    if (kt + 1 < ktiles) {
      tc_store<T>(sa + (cur ^ 1) * TC_BM * TC_LD, ra);
      tc_store<T>(sb + (cur ^ 1) * TC_BN * TC_LD, rb);
    }
    __syncthreads();
  }
  // Epilogue: each warp stages one 16x16 fragment at a time in shared memory (reusing the tile buffers).
  float* stage = reinterpret_cast<float*>(smem) + warp * 256;
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(stage, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        int idx = lane + e * 32, r = idx >> 4, c = idx & 15;
        epilogue_store<T>(p, m0 + wm * 64 + i * 16 + r, n0 + wn * 32 + j * 16 + c, stage[idx]);
      }
      __syncwarp();
    }
}

// ---- SIMT fp32 path ----
constexpr int F_BM = 64, F_BN = 64, F_BK = 16, F_THREADS = 256;

__device__ void gemm_f32(const GemmParams p) {
  __shared__ float sa[F_BK][F_BM + 4];
  __shared__ float sb[F_BK][F_BN + 4];
  const float* x = (const float*)p.x;
  const float* w = (const float*)p.w;
  const i64 m0 = (i64)blockIdx.y * F_BM, n0 = (i64)blockIdx.x * F_BN;
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;  // 16 x 16 threads, 4 x 4 outputs each
  float acc[4][4] = {};
  for (i64 k0 = 0; k0 < p.k; k0 += F_BK) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      int idx = threadIdx.x + i * F_THREADS;  // 0..1023: row = idx / 16, kk = idx % 16
      int r = idx >> 4, kk = idx & 15;
      i64 gk = k0 + kk;
      sa[kk][r] = (m0 + r < p.m && gk < p.k) ? x[(m0 + r) * p.ldx + gk] : 0.f;
      sb[kk][r] = (n0 + r < p.n && gk < p.k) ? w[(n0 + r) * p.ldw + gk] : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < F_BK; ++kk) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a[i] = sa[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) b[j] = sb[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) epilogue_store<float>(p, m0 + ty + 16 * i, n0 + tx + 16 * j, acc[i][j]);
}

// ---- pipelined tensor-core path (bf16 / f16; K % 8 == 0, N % 8 == 0, 16-byte aligned pointers) ----
// The model's products are skinny (M up to 800k rows, K and N 64..1536), so they are bound by streaming x,
// the residual and the output: every global access here is 16 bytes, the loads of the next k-tiles are in
// flight (cp.async) while the tensor cores work, and the epilogue reads the fp32 tile back from shared
// memory so that a warp writes whole 128/256-byte row segments. Host side: GemmDispatch (same constants).
namespace gemmp {
constexpr int BK = 32, LDS = BK + 8;  // smem row pitch 80 bytes: ldmatrix rows fall in distinct bank groups

__device__ __forceinline__ void cp16(void* smem, const void* gmem, bool valid) {
  unsigned s = (unsigned)__cvta_generic_to_shared(smem);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void wait_group() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

// rows [r0, r0+ROWS) x cols [k0, k0+BK) of a K-contiguous matrix into s (pitch LDS); zero-fills past the edges.
template <typename T, int ROWS, int THREADS>
__device__ __forceinline__ void load_tile(T* s, const T* __restrict__ a, i64 rows, i64 k, i64 ld, i64 r0, i64 k0) {
  constexpr int CPR = BK / 8;
#pragma unroll
  for (int c = threadIdx.x; c < ROWS * CPR; c += THREADS) {
    int r = c / CPR, cc = (c % CPR) * 8;
    bool ok = r0 + r < rows && k0 + cc < k;
    cp16(s + r * LDS + cc, ok ? (const void*)(a + (r0 + r) * ld + k0 + cc) : (const void*)a, ok);
  }
}

template <int BM, int BN, int STAGES>
constexpr int smem_bytes() {
  return STAGES * (BM + BN) * LDS * 2 > BM * (BN + 4) * 4 ? STAGES * (BM + BN) * LDS * 2 : BM * (BN + 4) * 4;
}

template <typename T>
__device__ __forceinline__ void unpack8(uint4 u, float (&f)[8]) {
  union { uint4 u; T h[8]; } t;
  t.u = u;
#pragma unroll
  for (int j = 0; j < 8; ++j) f[j] = to_f(t.h[j]);
}

// The epilogue of the shared-memory kernels: so is the CTA's fp32 product tile (BM x BN, pitch BN + 4) in
// shared memory; applies bias, activation, scale and residual and writes rows [m0, m0 + BM) x [n0, n0 + BN).
template <typename T, int BM, int BN, int THREADS>
__device__ __forceinline__ void store_tile(const GemmParams& p, const float* so, i64 m0, i64 n0) {
  constexpr int SLD = BN + 4;
  // Each thread owns CH chunks of 8 consecutive columns; a warp covers 256 contiguous bytes of a row (BN
  // = 128) or two rows of 128 bytes. Residual loads are all issued before any store (out may alias it).
  constexpr int CPR = BN / 8, CH = BM * CPR / THREADS;
  static_assert(BM * CPR % THREADS == 0, "whole chunks per thread");
  const T* res = (const T*)p.residual;
  uint4 rv[CH];
  if (res) {
#pragma unroll
    for (int c = 0; c < CH; ++c) {
      int idx = threadIdx.x + c * THREADS;
      i64 row = m0 + idx / CPR, col = n0 + (idx % CPR) * 8;
      rv[c] = row < p.m && col < p.n ? *reinterpret_cast<const uint4*>(res + row * p.ldo + col) : make_uint4(0, 0, 0, 0);
    }
  }
#pragma unroll
  for (int c = 0; c < CH; ++c) {
    int idx = threadIdx.x + c * THREADS, r = idx / CPR, cc = (idx % CPR) * 8;
    i64 row = m0 + r, col = n0 + cc;
    if (row >= p.m || col >= p.n) continue;
    float v[8];
    float4 a0 = *reinterpret_cast<const float4*>(so + r * SLD + cc);
    float4 a1 = *reinterpret_cast<const float4*>(so + r * SLD + cc + 4);
    v[0] = a0.x; v[1] = a0.y; v[2] = a0.z; v[3] = a0.w; v[4] = a1.x; v[5] = a1.y; v[6] = a1.z; v[7] = a1.w;
    float t[8];
    if (p.bias) {
      unpack8<T>(*reinterpret_cast<const uint4*>((const T*)p.bias + col), t);
#pragma unroll
      for (int j = 0; j < 8; ++j) v[j] += t[j];
    }
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] = activate(v[j], p.act);
    if (p.scale) {
      unpack8<T>(*reinterpret_cast<const uint4*>((const T*)p.scale + col), t);
#pragma unroll
      for (int j = 0; j < 8; ++j) v[j] *= t[j];
    }
    if (res) {
      unpack8<T>(rv[c], t);
#pragma unroll
      for (int j = 0; j < 8; ++j) v[j] += t[j];
    }
    union { uint4 u; T h[8]; } o;
#pragma unroll
    for (int j = 0; j < 8; ++j) o.h[j] = from_f<T>(v[j]);
    *reinterpret_cast<uint4*>((T*)p.out + row * p.ldo + col) = o.u;
  }
}

template <typename T, int BM, int BN, int WARPS_M, int WARPS_N, int STAGES>
__device__ __forceinline__ void gemm_pipe(const GemmParams& p) {
  using namespace nvcuda;
  constexpr int THREADS = WARPS_M * WARPS_N * 32, WM = BM / WARPS_M, WN = BN / WARPS_N, FM = WM / 16, FN = WN / 16;
  static_assert(WM % 16 == 0 && WN % 16 == 0, "warp tile in 16x16 fragments");
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* sbase = reinterpret_cast<T*>(smem_raw);  // stage s: A at s*(BM+BN)*LDS, B right after
  const T* x = (const T*)p.x;
  const T* w = (const T*)p.w;
  const i64 m0 = (i64)blockIdx.y * BM, n0 = (i64)blockIdx.x * BN;
  const int warp = threadIdx.x >> 5, wm = warp / WARPS_N, wn = warp % WARPS_N;

  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[FM][FN];
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j) wmma::fill_fragment(acc[i][j], 0.f);

  const int ktiles = (int)((p.k + BK - 1) / BK);
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) {
    if (s < ktiles) {
      T* st = sbase + s * (BM + BN) * LDS;
      load_tile<T, BM, THREADS>(st, x, p.m, p.k, p.ldx, m0, (i64)s * BK);
      load_tile<T, BN, THREADS>(st + BM * LDS, w, p.n, p.k, p.ldw, n0, (i64)s * BK);
    }
    commit();  // empty groups keep the wait counts uniform
  }
  for (int kt = 0; kt < ktiles; ++kt) {
    wait_group<STAGES - 2>();
    __syncthreads();  // tile kt visible to all; the stage refilled below was consumed in iteration kt-1
    const int nk = kt + STAGES - 1;
    if (nk < ktiles) {
      T* st = sbase + (nk % STAGES) * (BM + BN) * LDS;
      load_tile<T, BM, THREADS>(st, x, p.m, p.k, p.ldx, m0, (i64)nk * BK);
      load_tile<T, BN, THREADS>(st + BM * LDS, w, p.n, p.k, p.ldw, n0, (i64)nk * BK);
    }
    commit();
    const T* ca = sbase + (kt % STAGES) * (BM + BN) * LDS;
    const T* cb = ca + BM * LDS;
#pragma unroll
    for (int kk = 0; kk < BK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> fa[FM];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> fb[FN];
#pragma unroll
      for (int i = 0; i < FM; ++i) wmma::load_matrix_sync(fa[i], ca + (wm * WM + i * 16) * LDS + kk, LDS);
#pragma unroll
      for (int j = 0; j < FN; ++j) wmma::load_matrix_sync(fb[j], cb + (wn * WN + j * 16) * LDS + kk, LDS);
#pragma unroll
      for (int i = 0; i < FM; ++i)
#pragma unroll
        for (int j = 0; j < FN; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    }
  }
  wait_group<0>();
  __syncthreads();  // every warp is done with the ring before it becomes the fp32 output tile

  constexpr int SLD = BN + 4;
  float* so = reinterpret_cast<float*>(smem_raw);
#pragma unroll
  for (int i = 0; i < FM; ++i)
#pragma unroll
    for (int j = 0; j < FN; ++j)
      wmma::store_matrix_sync(so + (wm * WM + i * 16) * SLD + wn * WN + j * 16, acc[i][j], SLD, wmma::mem_row_major);
  __syncthreads();
  store_tile<T, BM, BN, THREADS>(p, so, m0, n0);
}
}  // namespace gemmp

// ---- Hopper path (sm_90a; same contract as gemm_pipe, or a convolution's windows as A) ----
// wgmma with both operands in shared memory: two warpgroups each multiply 64 rows of a 128 x BN tile by
// m64nBNk16 instructions, which only wgmma runs at the tensor cores' full rate (mma.sync reaches ~140 TFLOP/s
// on these shapes). A and B tiles are 64 k-columns wide, one 128-byte swizzled row each, filled by cp.async in
// a STAGES-deep ring; a k-tile's products stay in flight while the next tile's barrier and loads issue, so
// the loads run STAGES - 2 tiles ahead. The epilogue is gemm_pipe's (store_tile).
namespace gemmw {
using gemmp::cp16;
constexpr int BM = 128, BK = 64, THREADS = 256;

template <int BN> __host__ __device__ constexpr int stage_bytes() { return (BM + BN) * BK * 2; }
// + 1024: the ring starts at the first 1024-byte boundary (the swizzle pattern repeats every 8 rows of 128 bytes)
template <int BN, int STAGES> constexpr int smem_bytes() {
  return 1024 + (STAGES * stage_bytes<BN>() > BM * (BN + 4) * 4 ? STAGES * stage_bytes<BN>() : BM * (BN + 4) * 4);
}

// The k-tiles' sources. A thread copies the 16-byte chunk tid % 8 (k-columns k0 + 8 (tid % 8) ..) of the stage
// rows tid / 8 + 32 i, so its swizzled column (chunk c of row r at byte r * 128 + (c ^ r % 8) * 16, the layout
// desc_sw128 describes) is the same in every row it copies. Chunks out of range are zero-filled. Tiles are
// loaded in order, k0 = 0, 64, 128, ...
//
// B (and A of a plain product): rows of a K-contiguous matrix.
template <typename T, int ROWS>
struct MatrixRows {
  const T* row;      // this thread's first row, at its chunk column
  unsigned rows_ok;  // bit i: row tid / 8 + 32 i exists
  i64 ld;
  __device__ __forceinline__ MatrixRows(const T* a, i64 nrows, i64 lda, i64 r0) : ld(lda), rows_ok(0) {
    const int r = threadIdx.x >> 3;
    row = a + (r0 + r) * lda + (threadIdx.x & 7) * 8;
#pragma unroll
    for (int i = 0; i < ROWS / 32; ++i) rows_ok |= (r0 + r + 32 * i < nrows ? 1u : 0u) << i;
  }
  __device__ __forceinline__ void load(unsigned char* dst, i64 k0, i64 k) {
    const bool k_ok = k0 + (threadIdx.x & 7) * 8 < k;
#pragma unroll
    for (int i = 0; i < ROWS / 32; ++i) {
      const bool ok = k_ok && ((rows_ok >> i) & 1);
      cp16(dst + i * 32 * 128, ok ? (const void*)(row + i * 32 * ld + k0) : (const void*)row, ok);
    }
  }
};

// A of an implicit-GEMM convolution: row m is output pixel (b, oy, ox) of an NHWC input, column
// k = (ky * kw + kx) * cin + ci reads input pixel (oy * stride - pad + ky, ox * stride - pad + kx), channel ci
// (the weight as [Cout, kh, kw, Cin]: conv.cu conv_weight_taps). cin % 8 == 0, so a chunk never spans two taps;
// each thread steps its chunk's (ky, kx, ci) along with the tiles instead of dividing.
struct ConvGeom {
  i64 h, w, cin, kh, kw, stride, pad, oh, ow;
};
struct ConvGemmParams {  // io.vicinity.kernels.cuda.ConvGemmLaunchParams
  GemmParams g;          // x: the NHWC input, w: [Cout, kh * kw * Cin], m = B * oh * ow, k = kh * kw * cin
  ConvGeom c;
};
template <typename T>
struct ConvWindows {
  const T* in;
  i64 pix[BM / 32];    // offset of the window's (0, 0) corner of each row (may lie in the padding)
  int y0[BM / 32], x0[BM / 32];  // its coordinates; rows past M get a y0 no tap can bring into range
  int ky, kx, ci;      // this thread's chunk in the next tile to load
  __device__ __forceinline__ ConvWindows(const T* x, i64 m, i64 m0, const ConvGeom& g) : in(x) {
    const int r = threadIdx.x >> 3;
#pragma unroll
    for (int i = 0; i < BM / 32; ++i) {
      const i64 px = m0 + r + 32 * i, ox = px % g.ow, t = px / g.ow, oy = t % g.oh, b = t / g.oh;
      y0[i] = px < m ? (int)(oy * g.stride - g.pad) : -(1 << 30);
      x0[i] = (int)(ox * g.stride - g.pad);
      pix[i] = ((b * g.h + y0[i]) * g.w + x0[i]) * g.cin;
    }
    const int k = (threadIdx.x & 7) * 8, tap = k / (int)g.cin;
    ci = k - tap * (int)g.cin;
    ky = tap / (int)g.kw;
    kx = tap - ky * (int)g.kw;
  }
  __device__ __forceinline__ void load(unsigned char* dst, const ConvGeom& g) {
    const i64 tap = ((i64)ky * g.w + kx) * g.cin + ci;
    const bool k_ok = ky < (int)g.kh;
#pragma unroll
    for (int i = 0; i < BM / 32; ++i) {
      // unsigned compares: one test per axis covers the padding on both sides
      const bool ok = k_ok && (unsigned)(y0[i] + ky) < (unsigned)g.h && (unsigned)(x0[i] + kx) < (unsigned)g.w;
      cp16(dst + i * 32 * 128, ok ? (const void*)(in + pix[i] + tap) : (const void*)in, ok);
    }
    for (ci += BK; ci >= (int)g.cin; ci -= (int)g.cin) {  // at most once when cin >= 64
      if (++kx == (int)g.kw) {
        kx = 0;
        ++ky;
      }
    }
  }
};

// CONV: A is the convolution's windows over p.x (geom), else p.x's rows.
template <typename T, int BN, int STAGES, bool CONV>
__device__ __forceinline__ void gemm_wg(const GemmParams& p, const ConvGeom& geom) {
  static_assert(STAGES >= 3, "the loads run STAGES - 2 tiles ahead");
  if constexpr (wg::available()) {
    extern __shared__ unsigned char smem_raw[];
    unsigned char* ring = smem_raw + ((1024 - ((unsigned)__cvta_generic_to_shared(smem_raw) & 1023)) & 1023);
    const i64 m0 = (i64)blockIdx.y * BM, n0 = (i64)blockIdx.x * BN;
    // this thread's destination in a stage (its rows' swizzled chunk), and its sources
    const int r = threadIdx.x >> 3;
    const int dst = r * 128 + (((threadIdx.x & 7) ^ (r & 7)) << 4);
    using ASource = std::conditional_t<CONV, ConvWindows<T>, MatrixRows<T, BM>>;
    ASource a = [&] {
      if constexpr (CONV) return ConvWindows<T>((const T*)p.x, p.m, m0, geom);
      else return MatrixRows<T, BM>((const T*)p.x, p.m, p.ldx, m0);
    }();
    MatrixRows<T, BN> b((const T*)p.w, p.n, p.ldw, n0);
    auto load_stage = [&](int stage, int kt) {
      unsigned char* st = ring + stage * stage_bytes<BN>() + dst;
      if constexpr (CONV) a.load(st, geom);
      else a.load(st, (i64)kt * BK, p.k);
      b.load(st + BM * 128, (i64)kt * BK, p.k);
    };

    const int ktiles = (int)((p.k + BK - 1) / BK);
#pragma unroll
    for (int s = 0; s < STAGES - 2; ++s) {
      if (s < ktiles) load_stage(s, s);
      gemmp::commit();  // empty groups keep the wait counts uniform
    }
    // descriptors of stage 0: this warpgroup's 64 rows of A, and B; a stage is stage_bytes / 16 further, a
    // k-step of 16 columns 32 bytes (2 units) further inside the swizzled rows
    const int wgi = threadIdx.x >> 7;
    const uint64_t da0 = wg::desc_sw128(ring + wgi * 64 * 128), db0 = wg::desc_sw128(ring + BM * 128);
    float acc[BN / 8][4];
#pragma unroll
    for (int j = 0; j < BN / 8; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.f;
    for (int kt = 0; kt < ktiles; ++kt) {
      gemmp::wait_group<STAGES - 3>();  // this thread's copies of tile kt have landed
      wg::fence_smem();                 // ... and are visible to wgmma
      __syncthreads();  // everyone's have; every warpgroup is past tile kt - 2's products (wait<1> below)
      const int nk = kt + STAGES - 2;
      if (nk < ktiles) load_stage(nk % STAGES, nk);
      gemmp::commit();
      const uint64_t off = (uint64_t)((kt % STAGES) * (stage_bytes<BN>() / 16));
      wg::fence_operand(acc);
      wg::fence();
#pragma unroll
      for (int kk = 0; kk < BK / 16; ++kk) wg::mma_ss<T, BN>(acc, da0 + off + 2 * kk, db0 + off + 2 * kk);
      wg::commit();
      wg::wait<1>();  // tile kt - 1's products are done; tile kt's run on
      wg::fence_operand(acc);
    }
    wg::wait<0>();
    wg::fence_operand(acc);
    gemmp::wait_group<0>();
    __syncthreads();  // every warpgroup is done with the ring before it becomes the fp32 output tile

    // m16n8 C layout per warp: rows lane / 4 (+ 8), columns 2 (lane % 4) (+ 1) of each 8-column block
    constexpr int SLD = BN + 4;
    float* so = reinterpret_cast<float*>(ring);
    const int lane = threadIdx.x & 31, row = (threadIdx.x >> 5) * 16 + (lane >> 2), col = 2 * (lane & 3);
#pragma unroll
    for (int j = 0; j < BN / 8; ++j) {
      *reinterpret_cast<float2*>(so + row * SLD + j * 8 + col) = make_float2(acc[j][0], acc[j][1]);
      *reinterpret_cast<float2*>(so + (row + 8) * SLD + j * 8 + col) = make_float2(acc[j][2], acc[j][3]);
    }
    __syncthreads();
    gemmp::store_tile<T, BM, BN, THREADS>(p, so, m0, n0);
  }
}
}  // namespace gemmw

}  // namespace vc

// Pipelined kernels: vc_gemmp_<dtype>_<BM>x<BN>s<STAGES>; GemmDispatch.java mirrors the tiles, threads and
// gemmp::smem_bytes (dynamic shared memory).
#define VC_GEMMP(SUF, T, BM, BN, WMS, WNS, ST, MINB)                                                           \
  extern "C" __global__ void __launch_bounds__(WMS * WNS * 32, MINB) vc_gemmp_##SUF##_##BM##x##BN##s##ST(       \
      const vc::GemmParams p) {                                                                                 \
    vc::gemmp::gemm_pipe<T, BM, BN, WMS, WNS, ST>(p);                                                           \
  }
#define VC_GEMMP_ALL(SUF, T)                 \
  VC_GEMMP(SUF, T, 128, 64, 4, 2, 3, 3)      \
  VC_GEMMP(SUF, T, 128, 128, 2, 4, 3, 2)     \
  VC_GEMMP(SUF, T, 128, 128, 2, 4, 4, 2)
VC_GEMMP_ALL(bf16, __nv_bfloat16)
VC_GEMMP_ALL(f16, __half)

// Hopper kernels: vc_gemmw_<dtype>_128x<BN>s<STAGES> and the implicit-GEMM convolutions vc_convw_... (empty where
// sm_90a code is not compiled; GemmDispatch routes to them only where CudaDevice.wgmma). GemmDispatch.java
// mirrors BN, STAGES and gemmw::smem_bytes.
#define VC_GEMMW(SUF, T, BN, ST, MINB)                                                                        \
  extern "C" __global__ void __launch_bounds__(vc::gemmw::THREADS, MINB) vc_gemmw_##SUF##_128x##BN##s##ST(     \
      const vc::GemmParams p) {                                                                               \
    vc::gemmw::gemm_wg<T, BN, ST, false>(p, vc::gemmw::ConvGeom{});                                           \
  }                                                                                                           \
  extern "C" __global__ void __launch_bounds__(vc::gemmw::THREADS, MINB) vc_convw_##SUF##_128x##BN##s##ST(     \
      const vc::gemmw::ConvGemmParams p) {                                                                    \
    vc::gemmw::gemm_wg<T, BN, ST, true>(p.g, p.c);                                                            \
  }
#define VC_GEMMW_ALL(SUF, T)  \
  VC_GEMMW(SUF, T, 64, 3, 3)  \
  VC_GEMMW(SUF, T, 64, 4, 2)  \
  VC_GEMMW(SUF, T, 128, 3, 2) \
  VC_GEMMW(SUF, T, 192, 4, 1) \
  VC_GEMMW(SUF, T, 256, 4, 1)
VC_GEMMW_ALL(bf16, __nv_bfloat16)
VC_GEMMW_ALL(f16, __half)

extern "C" __global__ void __launch_bounds__(vc::TC_THREADS) vc_gemm_bf16(const vc::GemmParams p) { vc::gemm_tc<__nv_bfloat16>(p); }
extern "C" __global__ void __launch_bounds__(vc::TC_THREADS) vc_gemm_f16(const vc::GemmParams p) { vc::gemm_tc<__half>(p); }
extern "C" __global__ void __launch_bounds__(vc::F_THREADS) vc_gemm_f32(const vc::GemmParams p) { vc::gemm_f32(p); }
