// Convolution family: NHWC im2col feeding the GEMM family (out = col x W^T with W [Cout, Cin*kh*kw]).
// Column index = ci*kh*kw + ky*kw + kx, i.e. PyTorch's weight [Cout, Cin, kh, kw] flattened row-major.
#include "common.cuh"

namespace vc {

struct Im2colParams {
  const void* in;
  void* col;
  i64 b, h, w, cin, kh, kw, stride, pad, oh, ow;
};

// I: index type. 64-bit division chains made the stem's im2col (87M elements) take 7 ms at batch 256;
// 32-bit indices are used whenever every index fits.
template <typename T, typename I>
__device__ void im2col_t(const Im2colParams p) {
  const T* in = (const T*)p.in;
  T* col = (T*)p.col;
  const I kcols = (I)(p.cin * p.kh * p.kw), kw = (I)p.kw, kh = (I)p.kh, ow = (I)p.ow, oh = (I)p.oh;
  const I h = (I)p.h, w = (I)p.w, cin = (I)p.cin, stride = (I)p.stride, pad = (I)p.pad;
  const I n = (I)(p.b * p.oh * p.ow) * kcols;
  for (I i = (I)global_tid(); i < n; i += (I)global_stride()) {
    I kc = i % kcols, r = i / kcols;
    I kx = kc % kw, t = kc / kw;
    I ky = t % kh, ci = t / kh;
    I ox = r % ow, t2 = r / ow;
    I oy = t2 % oh, bb = t2 / oh;
    // signed: y and x are negative in the padding
    i64 y = (i64)(oy * stride + ky) - (i64)pad, x = (i64)(ox * stride + kx) - (i64)pad;
    col[i] = (y >= 0 && y < (i64)h && x >= 0 && x < (i64)w) ? in[((I)(bb * h + (I)y) * w + (I)x) * cin + ci] : from_f<T>(0.f);
  }
}

template <typename T>
__device__ void im2col(const Im2colParams p) {
  if (grid_loop_fits_32(p.b * p.oh * p.ow * p.cin * p.kh * p.kw) && grid_loop_fits_32(p.b * p.h * p.w * p.cin)) {
    im2col_t<T, unsigned>(p);
  } else {
    im2col_t<T, i64>(p);
  }
}

// Direct convolution for small patches (Cin*kh*kw <= 32, Cout <= 128 and a multiple of 8: the RGB stem).
// im2col there wrote 9x the input as 27-wide rows and a K = 27 GEMM read them back (4.3 ms of a 23.6 ms
// forward at batch 256); here one thread computes all Cout channels of one output pixel from its patch in
// registers, weights and bias in shared memory (broadcast reads), fp32 accumulation, one rounding, 16-byte
// stores. Host side: ConvDirect.java (same limits).
constexpr int CD_KC = 32, CD_MAXC = 128;

struct ConvDirectParams {
  const void* in;
  const void* w;     // [Cout, Cin, kh, kw]
  const void* bias;  // [Cout] or null
  void* out;         // [B, oh, ow, Cout]
  i64 b, h, w_, cin, kh, kw, stride, pad, oh, ow, cout;
};

template <typename T>
__device__ __forceinline__ void store8(T* dst, const float (&v)[8]) {
  union { uint4 u; T h[8]; } o;
#pragma unroll
  for (int j = 0; j < 8; ++j) o.h[j] = from_f<T>(v[j]);
  *reinterpret_cast<uint4*>(dst) = o.u;
}
template <>
__device__ __forceinline__ void store8<float>(float* dst, const float (&v)[8]) {
  reinterpret_cast<float4*>(dst)[0] = make_float4(v[0], v[1], v[2], v[3]);
  reinterpret_cast<float4*>(dst)[1] = make_float4(v[4], v[5], v[6], v[7]);
}

template <typename T>
__device__ void conv_direct(const ConvDirectParams p) {
  __shared__ __align__(16) float ws[CD_MAXC * CD_KC];  // [co][kc], zero past kcols
  __shared__ float bs[CD_MAXC];
  __shared__ int toff[CD_KC], tdy[CD_KC], tdx[CD_KC];  // per column: input offset in the window, ky, kx
  const int kcols = (int)(p.cin * p.kh * p.kw), cout = (int)p.cout;
  const T* in = (const T*)p.in;
  const T* w = (const T*)p.w;
  for (int i = threadIdx.x; i < cout * CD_KC; i += blockDim.x) {
    int co = i / CD_KC, kc = i % CD_KC;
    ws[i] = kc < kcols ? to_f(w[co * kcols + kc]) : 0.f;
  }
  for (int i = threadIdx.x; i < cout; i += blockDim.x) bs[i] = p.bias ? to_f(((const T*)p.bias)[i]) : 0.f;
  if (threadIdx.x < CD_KC) {
    int kc = threadIdx.x, khw = (int)(p.kh * p.kw), ci = kc / khw, ky = (kc % khw) / (int)p.kw, kx = kc % (int)p.kw;
    toff[kc] = (int)((ky * p.w_ + kx) * p.cin + ci);
    tdy[kc] = kc < kcols ? ky : -(1 << 20);  // columns past kcols always read as padding
    tdx[kc] = kx;
  }
  __syncthreads();
  const i64 npix = p.b * p.oh * p.ow;
  for (i64 pix = global_tid(); pix < npix; pix += global_stride()) {
    i64 ox = pix % p.ow, t = pix / p.ow, oy = t % p.oh, bb = t / p.oh;
    const int y0 = (int)(oy * p.stride - p.pad), x0 = (int)(ox * p.stride - p.pad), h = (int)p.h, wd = (int)p.w_;
    const T* base = in + ((bb * p.h + y0) * p.w_ + x0) * p.cin;
    float v[CD_KC];
    // volatile: re-read the (broadcast) tables per pixel instead of pinning 96 registers across the loop
    const volatile int *vo = toff, *vy = tdy, *vx = tdx;
#pragma unroll
    for (int kc = 0; kc < CD_KC; ++kc) {
      // unsigned compare: one test per axis covers both the negative and the far padding
      unsigned y = (unsigned)(y0 + vy[kc]), x = (unsigned)(x0 + vx[kc]);
      v[kc] = (y < (unsigned)h && x < (unsigned)wd) ? to_f(base[vo[kc]]) : 0.f;
    }
    T* o = (T*)p.out + pix * cout;
    for (int co0 = 0; co0 < cout; co0 += 8) {
      float acc[8];
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[j] = bs[co0 + j];
#pragma unroll
      for (int kc = 0; kc < CD_KC; kc += 4) {
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          float4 wv = *reinterpret_cast<const float4*>(ws + (co0 + j) * CD_KC + kc);
          acc[j] = fmaf(v[kc], wv.x, fmaf(v[kc + 1], wv.y, fmaf(v[kc + 2], wv.z, fmaf(v[kc + 3], wv.w, acc[j]))));
        }
      }
      store8<T>(o + co0, acc);
    }
  }
}

// A PyTorch conv weight [Cout, Cin, kh, kw] as [Cout, kh, kw, Cin]: the column order of the implicit-GEMM
// convolution (gemm.cu ConvWindows), whose k-tiles then read whole runs of input channels.
struct WeightTapsParams {
  const void* in;
  void* out;
  i64 cout, cin, taps;  // taps = kh * kw
};

template <typename T>
__device__ void conv_weight_taps(const WeightTapsParams p) {
  const i64 n = p.cout * p.cin * p.taps;
  for (i64 i = global_tid(); i < n; i += global_stride()) {  // i indexes the output
    const i64 ci = i % p.cin, t = i / p.cin, tap = t % p.taps, co = t / p.taps;
    ((T*)p.out)[i] = ((const T*)p.in)[(co * p.cin + ci) * p.taps + tap];
  }
}

}  // namespace vc

#define VC_CONV(S, T) \
  extern "C" __global__ void vc_conv_weight_taps_##S(const vc::WeightTapsParams p) { vc::conv_weight_taps<T>(p); } \
  extern "C" __global__ void vc_im2col_##S(const vc::Im2colParams p) { vc::im2col<T>(p); } \
  extern "C" __global__ void __launch_bounds__(256) vc_conv_direct_##S(const vc::ConvDirectParams p) { vc::conv_direct<T>(p); }
VC_FOR_EACH_DTYPE(VC_CONV)
