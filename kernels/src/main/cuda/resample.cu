// Resampling family on channels-last maps: bilinear resize (torch's interpolate, no antialias), adaptive
// average pooling (torch's bin rule), and the segmentation post-processing's class maps.
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

// Hugging Face's semantic-segmentation post-processing on the device, one image per launch: class scores [h, w, C]
// resized bilinearly (align_corners=False) to the network input [mid_h, mid_w] (the model's logits), then to the
// image's own [out_h, out_w] (post_process_semantic_segmentation's target size), then per pixel the arg-max class
// (the first on ties and NaN above all, as torch.argmax) and, if asked, its softmax probability. The two resizes
// compose to one linear map: an output row mixes two input rows, each mixing two score rows, so at most four score
// rows (likewise columns) and no resized map is ever stored (at 512 x 512 with 150 classes that map is 157 MB an
// image). A group of `lanes` lanes (8, 16 or 32) per output pixel, each taking `vec` (1 or 2) neighbouring classes
// per step, so a tap is one coalesced read of a score row; groups smaller than a warp share the per-pixel work
// (the taps, the reduction across lanes) among several pixels per instruction.
struct ClassMapParams {
  const void* scores;
  int* classes;
  float* prob;  // null: no probabilities
  int h, w, c, mid_h, mid_w, out_h, out_w;
  int lanes, vec;  // chosen by the host (CudaBackend.classMaps): vec 2 needs an even C
};

// The score rows (or columns) behind output index dst and their weights; repeated rows merged into the first,
// the others left at weight 0 (skipped).
struct Taps4 { int i[4]; float w[4]; };
__device__ __forceinline__ Taps4 two_stage_taps(int dst, int in, int mid, int out) {
  const Tap a = tap(dst, mid, out, 0);
  const Tap b0 = tap(a.i0, in, mid, 0), b1 = tap(a.i1, in, mid, 0);
  Taps4 t = {{(int)b0.i0, (int)b0.i1, (int)b1.i0, (int)b1.i1},
             {(1.f - a.w1) * (1.f - b0.w1), (1.f - a.w1) * b0.w1, a.w1 * (1.f - b1.w1), a.w1 * b1.w1}};
#pragma unroll
  for (int k = 1; k < 4; ++k) {
    bool merged = false;
#pragma unroll
    for (int m = 0; m < k; ++m) {
      if (!merged && t.i[m] == t.i[k]) {
        t.w[m] += t.w[k];
        t.w[k] = 0.f;
        merged = true;
      }
    }
  }
  return t;
}

// torch.argmax's order: NaN above every number, then the larger value, then the smaller index.
__device__ __forceinline__ bool ranks_above(float v, int i, float u, int j) {
  const bool vn = v != v, un = u != u;
  if (vn != un) return vn;
  if (!vn && v != u) return v > u;
  return i < j;
}

// One class's value into the lane's running arg-max and online softmax sum (relative to the running max m).
__device__ __forceinline__ void take_class(float v, int c, float& best, int& arg, float& m, float& s) {
  if (ranks_above(v, c, best, arg)) { best = v; arg = c; }
  if (v > m) { s = s * expf(m - v) + 1.f; m = v; } else { s += expf(v - m); }
}

template <typename T, int G, int V>
__device__ void class_map_t(const ClassMapParams p) {
  const T* scores = (const T*)p.scores;
  const int sub = threadIdx.x & (G - 1), groups = (gridDim.x * blockDim.x) / G;
  const int n = p.out_h * p.out_w;
  // every lane of a warp runs the same number of pixel steps (the shuffles need the whole warp)
  const int steps = (n + groups - 1) / groups;
  int px = (int)(global_tid() / G);
  for (int step = 0; step < steps; ++step, px += groups) {
    const bool live = px < n;
    const int y = live ? px / p.out_w : 0, x = live ? px - y * p.out_w : 0;
    const Taps4 ty = two_stage_taps(y, p.h, p.mid_h, p.out_h), tx = two_stage_taps(x, p.w, p.mid_w, p.out_w);
    float best = -INFINITY, m = -INFINITY, s = 0.f;
    int arg = 0x7fffffff;
    for (int c = sub * V; live && c < p.c; c += G * V) {
      float v[V] = {};
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        if (ty.w[r] == 0.f) continue;
        const T* row = scores + (i64)ty.i[r] * p.w * p.c + c;
        float u[V] = {};
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          if (tx.w[q] == 0.f) continue;
          const Pack<T, V> e = *reinterpret_cast<const Pack<T, V>*>(row + (i64)tx.i[q] * p.c);
#pragma unroll
          for (int k = 0; k < V; ++k) u[k] += tx.w[q] * to_f(e.v[k]);
        }
#pragma unroll
        for (int k = 0; k < V; ++k) v[k] += ty.w[r] * u[k];
      }
#pragma unroll
      for (int k = 0; k < V; ++k) take_class(v[k], c + k, best, arg, m, s);
    }
#pragma unroll
    for (int o = G / 2; o > 0; o >>= 1) {
      const float ob = __shfl_xor_sync(0xffffffffu, best, o), om = __shfl_xor_sync(0xffffffffu, m, o),
                  os = __shfl_xor_sync(0xffffffffu, s, o);
      const int oa = __shfl_xor_sync(0xffffffffu, arg, o);
      if (ranks_above(ob, oa, best, arg)) { best = ob; arg = oa; }
      const float mm = fmaxf(m, om);
      s = (s > 0.f ? s * expf(m - mm) : 0.f) + (os > 0.f ? os * expf(om - mm) : 0.f);
      m = mm;
    }
    if (live && sub == 0) {
      p.classes[px] = arg;
      if (p.prob) p.prob[px] = 1.f / s;  // exp(best - m) / s with best = m
    }
  }
}

template <typename T>
__device__ void class_map(const ClassMapParams p) {
  const int key = p.lanes * 2 + p.vec;
  switch (key) {
    case 8 * 2 + 2: class_map_t<T, 8, 2>(p); break;
    case 16 * 2 + 2: class_map_t<T, 16, 2>(p); break;
    case 32 * 2 + 2: class_map_t<T, 32, 2>(p); break;
    case 8 * 2 + 1: class_map_t<T, 8, 1>(p); break;
    case 16 * 2 + 1: class_map_t<T, 16, 1>(p); break;
    default: class_map_t<T, 32, 1>(p);
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
  extern "C" __global__ void vc_class_map_##S(const vc::ClassMapParams p) { vc::class_map<T>(p); }
VC_FOR_EACH_DTYPE(VC_RESAMPLE)
