// Row-reduction family: layer norm and softmax over the last axis (one warp per row, float accumulation,
// two passes for a numerically stable variance), and mean pooling over the middle axes.
#include "common.cuh"

namespace vc {

// One warp per row of length c. Biased variance, as torch.
template <typename T>
__device__ void layer_norm(const T* __restrict__ x, const T* __restrict__ gamma, const T* __restrict__ beta,
                           T* __restrict__ out, i64 rows, i64 c, float eps) {
  const int lane = threadIdx.x & 31;
  const i64 warps = (i64)gridDim.x * (blockDim.x >> 5);
  for (i64 r = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); r < rows; r += warps) {
    const T* xr = x + r * c;
    float s = 0.f;
    for (i64 i = lane; i < c; i += 32) s += to_f(xr[i]);
    const float mean = warp_sum(s) / (float)c;
    float v = 0.f;
    for (i64 i = lane; i < c; i += 32) { float d = to_f(xr[i]) - mean; v += d * d; }
    const float rstd = rsqrtf(warp_sum(v) / (float)c + eps);
    for (i64 i = lane; i < c; i += 32) {
      float y = (to_f(xr[i]) - mean) * rstd;
      if (gamma) y *= to_f(gamma[i]);
      if (beta) y += to_f(beta[i]);
      out[r * c + i] = from_f<T>(y);
    }
  }
}

// Rows of c % 8 == 0 channels, at most MAXP x 8 x lanes: each row held in registers by `lanes` lanes (a power of
// two dividing 32 and c / 8), 8 channels per 16-byte load, so a warp takes 32 / lanes rows at once. One warp per
// row with scalar loads left DiNAT's 64-channel rows at 3.4x their memory floor (2 values per lane). Same
// two-pass arithmetic as layer_norm. MAXP sizes the registers (MAXP = 1 keeps full occupancy).
template <typename T, int MAXP>
__device__ void layer_norm_packed(const T* __restrict__ x, const T* __restrict__ gamma, const T* __restrict__ beta,
                                  T* __restrict__ out, i64 rows, int c, float eps, int lanes) {
  using P = Pack<T, 8>;
  const int lane = threadIdx.x & 31, sub = lane & (lanes - 1), packs = c / 8 / lanes;
  const int rows_per_warp = 32 / lanes;
  const i64 warps = (i64)gridDim.x * (blockDim.x >> 5);
  for (i64 r0 = ((i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5)) * rows_per_warp; r0 < rows;
       r0 += warps * rows_per_warp) {
    const i64 r = r0 + lane / lanes;
    const bool live = r < rows;  // every lane still joins the shuffles
    float v[MAXP][8];
    float s = 0.f;
#pragma unroll
    for (int j = 0; j < MAXP; ++j) {
      if (j < packs) {
        P p = live ? reinterpret_cast<const P*>(x + r * c)[j * lanes + sub] : P{};
#pragma unroll
        for (int e = 0; e < 8; ++e) s += (v[j][e] = to_f(p.v[e]));
      }
    }
    for (int o = lanes / 2; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    const float mean = s / (float)c;
    float q = 0.f;
#pragma unroll
    for (int j = 0; j < MAXP; ++j) {
      if (j < packs) {
#pragma unroll
        for (int e = 0; e < 8; ++e) { const float d = v[j][e] - mean; q += d * d; }
      }
    }
    for (int o = lanes / 2; o > 0; o >>= 1) q += __shfl_xor_sync(0xffffffffu, q, o);
    const float rstd = rsqrtf(q / (float)c + eps);
    if (!live) continue;
#pragma unroll
    for (int j = 0; j < MAXP; ++j) {
      if (j < packs) {
        const int pk = j * lanes + sub;
        P g, b, o;
        if (gamma) g = reinterpret_cast<const P*>(gamma)[pk];
        if (beta) b = reinterpret_cast<const P*>(beta)[pk];
#pragma unroll
        for (int e = 0; e < 8; ++e) {
          float y = (v[j][e] - mean) * rstd;
          if (gamma) y *= to_f(g.v[e]);
          if (beta) y += to_f(b.v[e]);
          o.v[e] = from_f<T>(y);
        }
        reinterpret_cast<P*>(out + r * c)[pk] = o;
      }
    }
  }
}

template <typename T>
__device__ void softmax(const T* __restrict__ x, T* __restrict__ out, i64 rows, i64 c) {
  const int lane = threadIdx.x & 31;
  const i64 warps = (i64)gridDim.x * (blockDim.x >> 5);
  for (i64 r = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); r < rows; r += warps) {
    const T* xr = x + r * c;
    float m = -INFINITY;
    for (i64 i = lane; i < c; i += 32) m = fmaxf(m, to_f(xr[i]));
    m = warp_max(m);
    float s = 0.f;
    for (i64 i = lane; i < c; i += 32) s += expf(to_f(xr[i]) - m);
    const float inv = 1.0f / warp_sum(s);
    for (i64 i = lane; i < c; i += 32) out[r * c + i] = from_f<T>(expf(to_f(xr[i]) - m) * inv);
  }
}

// [B, n, C] -> [B, C]: a block per (32 channels, batch item), grid (ceil(C / 32), B); its warps take every
// warps-th row (each row's 32 channels one coalesced read) and add their partial sums through shared memory.
// (One thread per channel looping over n left a video encoder's 768 channels x 12544 tokens on 6 warps: 2.2 ms.)
constexpr int POOL_THREADS = 1024;
template <typename T>
__device__ void mean_pool(const T* __restrict__ x, T* __restrict__ out, i64 n, i64 c) {
  __shared__ float part[POOL_THREADS / 32][33];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  const i64 ch = (i64)blockIdx.x * 32 + lane, bb = blockIdx.y;
  float s = 0.f;
  if (ch < c) {
    const T* p = x + bb * n * c + ch;
    for (i64 j = warp; j < n; j += warps) s += to_f(p[j * c]);
  }
  part[warp][lane] = s;
  __syncthreads();
  if (warp == 0 && ch < c) {
    float t = 0.f;
    for (int w = 0; w < warps; ++w) t += part[w][lane];
    out[bb * c + ch] = from_f<T>(t / (float)n);
  }
}

}  // namespace vc

#define VC_REDUCE(S, T)                                                                                              \
  extern "C" __global__ void vc_layer_norm_##S(const T* x, const T* g, const T* b, T* out, long long rows, long long c, float eps) { \
    vc::layer_norm<T>(x, g, b, out, rows, c, eps);                                                                     \
  }                                                                                                                    \
  extern "C" __global__ void vc_layer_norm_p1_##S(const T* x, const T* g, const T* b, T* out, long long rows, int c, \
                                                 float eps, int lanes) {                                             \
    vc::layer_norm_packed<T, 1>(x, g, b, out, rows, c, eps, lanes);                                                  \
  }                                                                                                                    \
  extern "C" __global__ void vc_layer_norm_p4_##S(const T* x, const T* g, const T* b, T* out, long long rows, int c, \
                                                 float eps, int lanes) {                                             \
    vc::layer_norm_packed<T, 4>(x, g, b, out, rows, c, eps, lanes);                                                  \
  }                                                                                                                    \
  extern "C" __global__ void vc_softmax_##S(const T* x, T* out, long long rows, long long c) { vc::softmax<T>(x, out, rows, c); } \
  extern "C" __global__ void __launch_bounds__(vc::POOL_THREADS) vc_mean_pool_##S(const T* x, T* out, long long n, long long c) { \
    vc::mean_pool<T>(x, out, n, c);                                                                                    \
  }
VC_FOR_EACH_DTYPE(VC_REDUCE)
