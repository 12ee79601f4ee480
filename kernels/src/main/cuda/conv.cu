// Convolution family: NHWC im2col feeding the GEMM family (out = col x W^T with W [Cout, Cin*kh*kw]).
// Column index = ci*kh*kw + ky*kw + kx, i.e. PyTorch's weight [Cout, Cin, kh, kw] flattened row-major.
#include "common.cuh"

namespace vc {

struct Im2colParams {
  const void* in;
  void* col;
  i64 b, h, w, cin, kh, kw, stride, pad, oh, ow;
};

template <typename T>
__device__ void im2col(const Im2colParams p) {
  const T* in = (const T*)p.in;
  T* col = (T*)p.col;
  const i64 kcols = p.cin * p.kh * p.kw;
  const i64 n = p.b * p.oh * p.ow * kcols;
  for (i64 i = global_tid(); i < n; i += global_stride()) {
    i64 kc = i % kcols, r = i / kcols;
    i64 kx = kc % p.kw, t = kc / p.kw;
    i64 ky = t % p.kh, ci = t / p.kh;
    i64 ox = r % p.ow, t2 = r / p.ow;
    i64 oy = t2 % p.oh, bb = t2 / p.oh;
    i64 y = oy * p.stride - p.pad + ky, x = ox * p.stride - p.pad + kx;
    col[i] = (y >= 0 && y < p.h && x >= 0 && x < p.w) ? in[((bb * p.h + y) * p.w + x) * p.cin + ci] : from_f<T>(0.f);
  }
}

}  // namespace vc

#define VC_CONV(S, T) \
  extern "C" __global__ void vc_im2col_##S(const vc::Im2colParams p) { vc::im2col<T>(p); }
VC_FOR_EACH_DTYPE(VC_CONV)
