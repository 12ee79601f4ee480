// Element-wise family: dtype conversion (host transfers), add, activation, batch norm (+ReLU), zero pad,
// crop and last-axis concatenation. All indices are 64-bit; grid-stride loops cover any size.
#include "common.cuh"

namespace vc {

template <typename T> __device__ void convert_from_f32(const float* __restrict__ in, T* __restrict__ out, i64 n) {
  for (i64 i = global_tid(); i < n; i += global_stride()) out[i] = from_f<T>(in[i]);
}
template <typename T> __device__ void convert_to_f32(const T* __restrict__ in, float* __restrict__ out, i64 n) {
  for (i64 i = global_tid(); i < n; i += global_stride()) out[i] = to_f(in[i]);
}
// Bytes -> values through a per-channel table (an image processor's rescale + normalize, which are exactly such a
// map): out[i] = table[(i % channels) * 256 + in[i]], channels <= 4. Only the bytes cross PCIe.
template <typename T>
__device__ void byte_lookup(const float* __restrict__ table, const unsigned char* __restrict__ in, T* __restrict__ out,
                            i64 n, int channels) {
  __shared__ float t[4 * 256];
  for (int i = threadIdx.x; i < channels * 256; i += blockDim.x) t[i] = table[i];
  __syncthreads();
  for (i64 i = global_tid(); i < n; i += global_stride()) out[i] = from_f<T>(t[(int)(i % channels) * 256 + in[i]]);
}
template <typename T> __device__ void add(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out, i64 n) {
  for (i64 i = global_tid(); i < n; i += global_stride()) out[i] = from_f<T>(to_f(a[i]) + to_f(b[i]));
}
template <typename T> __device__ void activation(const T* __restrict__ in, T* __restrict__ out, i64 n, int act) {
  for (i64 i = global_tid(); i < n; i += global_stride()) out[i] = from_f<T>(activate(to_f(in[i]), act));
}
// y = (x - mean) / sqrt(var + eps) * gamma + beta over the last axis (C); gamma/beta may be null.
template <typename T>
__device__ void batch_norm(const T* __restrict__ x, const T* __restrict__ mean, const T* __restrict__ var,
                           const T* __restrict__ gamma, const T* __restrict__ beta, T* __restrict__ out,
                           i64 n, i64 c, float eps, int relu) {
  for (i64 i = global_tid(); i < n; i += global_stride()) {
    i64 ch = i % c;
    float y = (to_f(x[i]) - to_f(mean[ch])) * rsqrtf(to_f(var[ch]) + eps);
    if (gamma) y *= to_f(gamma[ch]);
    if (beta) y += to_f(beta[ch]);
    out[i] = from_f<T>(relu ? fmaxf(y, 0.0f) : y);
  }
}
// [B, H, W, C] -> [B, Ho, Wo, C]: copies where (y < H, x < W), zero elsewhere (pad when Ho >= H, crop when <).
template <typename T>
__device__ void pad_crop(const T* __restrict__ in, T* __restrict__ out, i64 b, i64 h, i64 w, i64 c, i64 ho, i64 wo) {
  i64 n = b * ho * wo * c;
  for (i64 i = global_tid(); i < n; i += global_stride()) {
    i64 ch = i % c, r = i / c;
    i64 x = r % wo; r /= wo;
    i64 y = r % ho, bb = r / ho;
    out[i] = (y < h && x < w) ? in[((bb * h + y) * w + x) * c + ch] : from_f<T>(0.0f);
  }
}
// Copies rows of width `cw` into columns [off, off + cw) of an output with row width `ctot`.
template <typename T>
__device__ void concat_slice(const T* __restrict__ in, T* __restrict__ out, i64 rows, i64 cw, i64 ctot, i64 off) {
  i64 n = rows * cw;
  for (i64 i = global_tid(); i < n; i += global_stride()) out[(i / cw) * ctot + off + i % cw] = in[i];
}

}  // namespace vc

#define VC_ELEMENTWISE(S, T)                                                                                     \
  extern "C" __global__ void vc_convert_from_f32_##S(const float* in, T* out, long long n) { vc::convert_from_f32<T>(in, out, n); } \
  extern "C" __global__ void vc_convert_to_f32_##S(const T* in, float* out, long long n) { vc::convert_to_f32<T>(in, out, n); }     \
  extern "C" __global__ void vc_byte_lookup_##S(const float* table, const unsigned char* in, T* out, long long n, int channels) { \
    vc::byte_lookup<T>(table, in, out, n, channels);                                                                              \
  }                                                                                                                                \
  extern "C" __global__ void vc_add_##S(const T* a, const T* b, T* out, long long n) { vc::add<T>(a, b, out, n); }                 \
  extern "C" __global__ void vc_activation_##S(const T* in, T* out, long long n, int act) { vc::activation<T>(in, out, n, act); }  \
  extern "C" __global__ void vc_batch_norm_##S(const T* x, const T* mean, const T* var, const T* gamma, const T* beta, T* out,     \
                                               long long n, long long c, float eps, int relu) {                                   \
    vc::batch_norm<T>(x, mean, var, gamma, beta, out, n, c, eps, relu);                                                            \
  }                                                                                                                                \
  extern "C" __global__ void vc_pad_crop_##S(const T* in, T* out, long long b, long long h, long long w, long long c,              \
                                             long long ho, long long wo) { vc::pad_crop<T>(in, out, b, h, w, c, ho, wo); }         \
  extern "C" __global__ void vc_concat_slice_##S(const T* in, T* out, long long rows, long long cw, long long ctot, long long off) { \
    vc::concat_slice<T>(in, out, rows, cw, ctot, off);                                                                             \
  }
VC_FOR_EACH_DTYPE(VC_ELEMENTWISE)
