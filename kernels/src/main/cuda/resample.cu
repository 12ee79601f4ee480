// Resampling family on channels-last maps: bilinear resize (torch's interpolate, no antialias), adaptive
// average pooling (torch's bin rule), and the fused uint8 RGB -> resized + normalised input kernel.
#include "common.cuh"

namespace vc {

// torch's source coordinate for bilinear interpolation.
__device__ __forceinline__ float src_coord(i64 dst, i64 in, i64 out, int align_corners) {
  if (align_corners) return out > 1 ? (float)dst * (float)(in - 1) / (float)(out - 1) : 0.f;
  float s = ((float)dst + 0.5f) * ((float)in / (float)out) - 0.5f;
  return s < 0.f ? 0.f : s;
}

struct Tap { i64 i0, i1; float w1; };
__device__ __forceinline__ Tap tap(i64 dst, i64 in, i64 out, int align_corners) {
  float s = src_coord(dst, in, out, align_corners);
  i64 i0 = (i64)s;
  if (i0 > in - 1) i0 = in - 1;
  Tap t;
  t.i0 = i0;
  t.i1 = i0 < in - 1 ? i0 + 1 : i0;
  t.w1 = s - (float)i0;
  return t;
}

__device__ __forceinline__ float to_f(uint8_t x) { return (float)x; }

// The four taps' values blended: along x on both rows, then along y.
__device__ __forceinline__ float blend(float v00, float v01, float v10, float v11, Tap ty, Tap tx) {
  float top = v00 + (v01 - v00) * tx.w1, bot = v10 + (v11 - v10) * tx.w1;
  return top + (bot - top) * ty.w1;
}

template <typename TI, typename TO>
__device__ __forceinline__ float bilinear(const TI* __restrict__ img, i64 w, i64 c, i64 ch, Tap ty, Tap tx) {
  return blend(to_f(img[(ty.i0 * w + tx.i0) * c + ch]), to_f(img[(ty.i0 * w + tx.i1) * c + ch]),
               to_f(img[(ty.i1 * w + tx.i0) * c + ch]), to_f(img[(ty.i1 * w + tx.i1) * c + ch]), ty, tx);
}

// VEC consecutive channels of one output pixel per thread (VEC | C, rows aligned to VEC elements): the four
// taps are VEC-wide loads and the index arithmetic, in I (32-bit whenever every index fits), is done once per
// VEC channels. One element per thread with 64-bit divisions ran the 128 -> 512 upsampling of UperNet's 150
// class maps at ~280 GB/s, 10x its memory floor.
template <typename T, typename I, int VEC>
__device__ void resize_bilinear_t(const T* __restrict__ in, T* __restrict__ out, I b, I h, I w, I c, I oh, I ow,
                                  int align_corners) {
  const I cv = c / VEC, n = b * oh * ow * cv;
  for (I i = (I)global_tid(); i < n; i += (I)global_stride()) {
    I g = i % cv, r = i / cv;
    I x = r % ow;
    r /= ow;
    I y = r % oh, bb = r / oh;
    const Tap ty = tap(y, h, oh, align_corners), tx = tap(x, w, ow, align_corners);
    const T* img = in + (i64)bb * h * w * c + (i64)g * VEC;
    const Pack<T, VEC> p00 = *reinterpret_cast<const Pack<T, VEC>*>(img + (ty.i0 * w + tx.i0) * c);
    const Pack<T, VEC> p01 = *reinterpret_cast<const Pack<T, VEC>*>(img + (ty.i0 * w + tx.i1) * c);
    const Pack<T, VEC> p10 = *reinterpret_cast<const Pack<T, VEC>*>(img + (ty.i1 * w + tx.i0) * c);
    const Pack<T, VEC> p11 = *reinterpret_cast<const Pack<T, VEC>*>(img + (ty.i1 * w + tx.i1) * c);
    Pack<T, VEC> o;
#pragma unroll
    for (int j = 0; j < VEC; ++j) {
      o.v[j] = from_f<T>(blend(to_f(p00.v[j]), to_f(p01.v[j]), to_f(p10.v[j]), to_f(p11.v[j]), ty, tx));
    }
    reinterpret_cast<Pack<T, VEC>*>(out)[i] = o;
  }
}

template <typename T, int VEC>
__device__ void resize_bilinear_v(const T* in, T* out, i64 b, i64 h, i64 w, i64 c, i64 oh, i64 ow, int align_corners) {
  if (grid_loop_fits_32(b * oh * ow * c) && grid_loop_fits_32(b * h * w * c)) {
    resize_bilinear_t<T, unsigned, VEC>(in, out, (unsigned)b, (unsigned)h, (unsigned)w, (unsigned)c, (unsigned)oh,
                                        (unsigned)ow, align_corners);
  } else {
    resize_bilinear_t<T, i64, VEC>(in, out, b, h, w, c, oh, ow, align_corners);
  }
}

// vec: channels per thread (8, 4, 2 or 1), chosen by the caller (CudaBackend.resizeBilinear).
template <typename T>
__device__ void resize_bilinear(const T* in, T* out, i64 b, i64 h, i64 w, i64 c, i64 oh, i64 ow, int align_corners,
                                int vec) {
  switch (vec) {
    case 8: resize_bilinear_v<T, 8>(in, out, b, h, w, c, oh, ow, align_corners); break;
    case 4: resize_bilinear_v<T, 4>(in, out, b, h, w, c, oh, ow, align_corners); break;
    case 2: resize_bilinear_v<T, 2>(in, out, b, h, w, c, oh, ow, align_corners); break;
    default: resize_bilinear_v<T, 1>(in, out, b, h, w, c, oh, ow, align_corners);
  }
}

template <typename T>
__device__ void adaptive_avg_pool(const T* __restrict__ in, T* __restrict__ out, i64 b, i64 h, i64 w, i64 c,
                                  i64 oh, i64 ow) {
  i64 n = b * oh * ow * c;
  for (i64 i = global_tid(); i < n; i += global_stride()) {
    i64 ch = i % c, r = i / c;
    i64 x = r % ow; r /= ow;
    i64 y = r % oh, bb = r / oh;
    i64 y0 = (y * h) / oh, y1 = ((y + 1) * h + oh - 1) / oh;
    i64 x0 = (x * w) / ow, x1 = ((x + 1) * w + ow - 1) / ow;
    float s = 0.f;
    for (i64 yy = y0; yy < y1; ++yy)
      for (i64 xx = x0; xx < x1; ++xx) s += to_f(in[((bb * h + yy) * w + xx) * c + ch]);
    out[i] = from_f<T>(s / (float)((y1 - y0) * (x1 - x0)));
  }
}

// Decoded RGB bytes [B, H, W, 3] -> [B, oh, ow, 3]: bilinear (align_corners=False) on the byte values,
// then (v / 255 - mean[c]) / std[c].
struct PreprocessParams {
  const uint8_t* in;
  void* out;
  i64 b, h, w, oh, ow;
  float mean[3];
  float inv_std[3];
};

template <typename T>
__device__ void preprocess_u8(const PreprocessParams p) {
  T* out = (T*)p.out;
  i64 n = p.b * p.oh * p.ow * 3;
  for (i64 i = global_tid(); i < n; i += global_stride()) {
    i64 ch = i % 3, r = i / 3;
    i64 x = r % p.ow; r /= p.ow;
    i64 y = r % p.oh, bb = r / p.oh;
    float v = bilinear<uint8_t, T>(p.in + bb * p.h * p.w * 3, p.w, 3, ch, tap(y, p.h, p.oh, 0), tap(x, p.w, p.ow, 0));
    out[i] = from_f<T>((v * (1.0f / 255.0f) - p.mean[ch]) * p.inv_std[ch]);
  }
}

}  // namespace vc

#define VC_RESAMPLE(S, T)                                                                                          \
  extern "C" __global__ void vc_resize_bilinear_##S(const T* in, T* out, long long b, long long h, long long w,     \
                                                    long long c, long long oh, long long ow, int align_corners,    \
                                                    int vec) {                                                     \
    vc::resize_bilinear<T>(in, out, b, h, w, c, oh, ow, align_corners, vec);                                        \
  }                                                                                                                 \
  extern "C" __global__ void vc_adaptive_avg_pool_##S(const T* in, T* out, long long b, long long h, long long w,   \
                                                      long long c, long long oh, long long ow) {                    \
    vc::adaptive_avg_pool<T>(in, out, b, h, w, c, oh, ow);                                                          \
  }                                                                                                                 \
  extern "C" __global__ void vc_preprocess_u8_##S(const vc::PreprocessParams p) { vc::preprocess_u8<T>(p); }
VC_FOR_EACH_DTYPE(VC_RESAMPLE)
