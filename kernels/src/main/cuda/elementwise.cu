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
__device__ __forceinline__ int clip8(int fixed_point) { return min(max(fixed_point >> 22, 0), 255); }
// ByteResample (ByteResample.java) of RGB images, then the per-channel table: one thread per output pixel runs
// the horizontal pass on each source row the vertical pass reads (clipped to 8 bits, as the host's two passes
// do) and the vertical pass on those; integer arithmetic, so the bytes are the host's exactly. Images of any
// sizes, one region size: index holds per image its plan's offset in plans and its first byte in in. A plan:
// source height and width, vertical size and kernel size, horizontal size and kernel size, region top, left,
// height and width, then the vertical pass's first[], count[], weights[] and the horizontal pass's.
template <typename T>
__device__ void resample_lookup(const float* __restrict__ table, const int* __restrict__ index,
                                const int* __restrict__ plans, const unsigned char* __restrict__ in,
                                T* __restrict__ out, i64 pixels, i64 per_image) {
  __shared__ float t[3 * 256];
  for (int i = threadIdx.x; i < 3 * 256; i += blockDim.x) t[i] = table[i];
  __syncthreads();
  const int half = 1 << 21;
  for (i64 i = global_tid(); i < pixels; i += global_stride()) {
    const i64 image = i / per_image;
    const int* plan = plans + index[2 * image];
    const int src_w = plan[1], v_size = plan[2], v_k = plan[3], h_size = plan[4], h_k = plan[5];
    const int top = plan[6], left = plan[7], out_w = plan[9];
    const int* v_first = plan + 10;
    const int* v_count = v_first + v_size;
    const int* v_weights = v_count + v_size;
    const int* h_first = v_weights + (i64)v_size * v_k;
    const int* h_count = h_first + h_size;
    const int* h_weights = h_count + h_size;
    const i64 at = i - image * per_image;
    const int x = (int)(at % out_w) + left;
    const int y = (int)(at / out_w) + top;
    int r = 0, g = 0, b = 0;  // outside the resized image: byte 0, as a padding crop gives
    if (x >= 0 && x < h_size && y >= 0 && y < v_size) {
      const unsigned char* src = in + (unsigned)index[2 * image + 1];
      const int hf = h_first[x], hc = h_count[x];
      const int* hw = h_weights + (i64)x * h_k;
      const int vf = v_first[y], vc = v_count[y];
      const int* vw = v_weights + (i64)y * v_k;
      int ar = half, ag = half, ab = half;
      for (int k = 0; k < vc; k++) {
        const unsigned char* p = src + ((i64)(vf + k) * src_w + hf) * 3;
        int hr = half, hg = half, hb = half;
        for (int j = 0; j < hc; j++, p += 3) {
          const int w = hw[j];
          hr += p[0] * w;
          hg += p[1] * w;
          hb += p[2] * w;
        }
        const int w = vw[k];
        ar += clip8(hr) * w;
        ag += clip8(hg) * w;
        ab += clip8(hb) * w;
      }
      r = clip8(ar);
      g = clip8(ag);
      b = clip8(ab);
    }
    out[3 * i] = from_f<T>(t[r]);
    out[3 * i + 1] = from_f<T>(t[256 + g]);
    out[3 * i + 2] = from_f<T>(t[512 + b]);
  }
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
  extern "C" __global__ void vc_resample_lookup_##S(const float* table, const int* index, const int* plans,                \
                                                  const unsigned char* in, T* out, long long pixels, long long per_image) {  \
    vc::resample_lookup<T>(table, index, plans, in, out, pixels, per_image);                                                   \
  }                                                                                                                            \
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
