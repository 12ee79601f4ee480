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
  extern "C" __global__ void vc_softmax_##S(const T* x, T* out, long long rows, long long c) { vc::softmax<T>(x, out, rows, c); } \
  extern "C" __global__ void __launch_bounds__(vc::POOL_THREADS) vc_mean_pool_##S(const T* x, T* out, long long n, long long c) { \
    vc::mean_pool<T>(x, out, n, c);                                                                                    \
  }
VC_FOR_EACH_DTYPE(VC_REDUCE)
