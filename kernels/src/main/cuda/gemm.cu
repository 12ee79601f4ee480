// Matrix-product family: out[m, n] = residual + scale[n] * act(sum_k x[m, k] w[n, k] + bias[n]).
// x is [M, K] (row stride ldx), w is [N, K] (PyTorch's [out, in]), out/residual are [M, N] (stride ldo).
// bf16/f16: tensor cores (WMMA -> mma.sync HMMA, fp32 accumulate), 128x128x32 tiles, 8 warps.
// f32: SIMT fp32 FMA (keeps float32 accuracy; no tf32), 64x64x16 tiles, 4x4 outputs per thread.
// Launch: gemm_* with grid (ceil(N/BN), ceil(M/BM)); parameters mirror io.vicinity.kernels.cuda.GemmParams.
#include <mma.h>
#include "common.cuh"

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

}  // namespace vc

extern "C" __global__ void __launch_bounds__(vc::TC_THREADS) vc_gemm_bf16(const vc::GemmParams p) { vc::gemm_tc<__nv_bfloat16>(p); }
extern "C" __global__ void __launch_bounds__(vc::TC_THREADS) vc_gemm_f16(const vc::GemmParams p) { vc::gemm_tc<__half>(p); }
extern "C" __global__ void __launch_bounds__(vc::F_THREADS) vc_gemm_f32(const vc::GemmParams p) { vc::gemm_f32(p); }
