// Shared helpers for every kernel family: storage types, float conversion, grid-stride loops.
// Storage dtypes: float (F32), __nv_bfloat16 (BF16), __half (F16). Arithmetic is always float.
// Kernels are extern "C" with a dtype suffix (_f32, _bf16, _f16) so the Java launcher can find them
// by name; the Java side (KernelCatalog) holds the one dispatch switch over dtype and head dim.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

namespace vc {

typedef long long i64;

__device__ __forceinline__ float to_f(float x) { return x; }
__device__ __forceinline__ float to_f(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float to_f(__half x) { return __half2float(x); }

template <typename T> __device__ __forceinline__ T from_f(float x);
template <> __device__ __forceinline__ float from_f<float>(float x) { return x; }
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <> __device__ __forceinline__ __half from_f<__half>(float x) { return __float2half_rn(x); }

// Exact GELU (erf form), as torch's default and Hugging Face's "gelu".
__device__ __forceinline__ float gelu_erf(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }

// Activation codes shared with Java (io.vicinity.kernels.Activation ordinal).
enum Act : int { ACT_NONE = 0, ACT_GELU = 1, ACT_RELU = 2 };
__device__ __forceinline__ float activate(float x, int act) {
  return act == ACT_GELU ? gelu_erf(x) : (act == ACT_RELU ? fmaxf(x, 0.0f) : x);
}

// VEC consecutive elements moved as one (16-byte for 8 halves): rows must be aligned to the pack.
template <typename T, int VEC>
struct alignas(sizeof(T) * VEC) Pack {
  T v[VEC];
};

__device__ __forceinline__ i64 global_tid() { return (i64)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ i64 global_stride() { return (i64)gridDim.x * blockDim.x; }
// Whether a grid-stride loop over n elements may index in 32 bits: i + stride must not wrap.
__device__ __forceinline__ bool grid_loop_fits_32(i64 n) { return n < 0x7fffffffLL - global_stride(); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

}  // namespace vc

// Instantiates KERNEL_MACRO(suffix, type) for the three storage dtypes.
#define VC_FOR_EACH_DTYPE(M) M(f32, float) M(bf16, __nv_bfloat16) M(f16, __half)
