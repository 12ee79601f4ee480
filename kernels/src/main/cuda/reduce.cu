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

// [B, n, C] -> [B, C]: one thread per (b, channel), loop over n (coalesced across channels).
template <typename T>
__device__ void mean_pool(const T* __restrict__ x, T* __restrict__ out, i64 b, i64 n, i64 c) {
  for (i64 i = global_tid(); i < b * c; i += global_stride()) {
    i64 bb = i / c, ch = i % c;
    const T* p = x + bb * n * c + ch;
    float s = 0.f;
    for (i64 j = 0; j < n; ++j) s += to_f(p[j * c]);
    out[i] = from_f<T>(s / (float)n);
  }
}

}  // namespace vc

#define VC_REDUCE(S, T)                                                                                              \
  extern "C" __global__ void vc_layer_norm_##S(const T* x, const T* g, const T* b, T* out, long long rows, long long c, float eps) { \
    vc::layer_norm<T>(x, g, b, out, rows, c, eps);                                                                     \
  }                                                                                                                    \
  extern "C" __global__ void vc_softmax_##S(const T* x, T* out, long long rows, long long c) { vc::softmax<T>(x, out, rows, c); } \
  extern "C" __global__ void vc_mean_pool_##S(const T* x, T* out, long long b, long long n, long long c) {            \
    vc::mean_pool<T>(x, out, b, n, c);                                                                                 \
  }
VC_FOR_EACH_DTYPE(VC_REDUCE)
