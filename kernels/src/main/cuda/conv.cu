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
  const i64 limit = 0x7fffffffLL - (i64)gridDim.x * blockDim.x;  // i + stride must not wrap
  if (p.b * p.oh * p.ow * p.cin * p.kh * p.kw < limit && p.b * p.h * p.w * p.cin < limit) {
    im2col_t<T, unsigned>(p);
  } else {
    im2col_t<T, i64>(p);
  }
}

}  // namespace vc

#define VC_CONV(S, T) \
  extern "C" __global__ void vc_im2col_##S(const vc::Im2colParams p) { vc::im2col<T>(p); }
VC_FOR_EACH_DTYPE(VC_CONV)
