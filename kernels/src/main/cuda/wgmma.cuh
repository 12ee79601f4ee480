// Hopper warpgroup MMA (wgmma.mma_async, sm_90a only) for the attention kernel: a warpgroup of 4 warps
// multiplies a 64-row A held in registers (the mma.sync m16n8k16 A fragment of each warp's 16 rows) by a B
// read straight from shared memory, accumulating fp32 in the mma.sync C layout repeated per 8 columns. Only
// wgmma reaches the tensor cores' full rate on Hopper, and B needs no ldmatrix.
// B lives in shared memory in the 128-byte swizzle layout (desc_sw128). Built for other architectures the
// bodies are empty: available() says which one was compiled.
#pragma once
#include <cstdint>
#include <type_traits>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define VC_WGMMA 1
#else
#define VC_WGMMA 0
#endif

namespace vc {
namespace wg {

__device__ __forceinline__ constexpr bool available() { return VC_WGMMA == 1; }

// Shared-memory matrix descriptor (PTX "matrix-descriptor-encode") of a B operand in the 128-byte swizzle
// layout: rows of 128 bytes, 16-byte chunk c of row r at chunk c ^ (r % 8), from a 1024-byte aligned base.
// Both the K-major (K tile) and the MN-major (V tile) operands here are one swizzle atom wide, so the stride
// used is between 8-row groups, 1024 bytes; it goes in both offset fields (mma_n72 sets the leading one to
// reach its ninth column block: with_lbo). A start inside the atom (the next 16 dims of a K-major row: +32
// bytes) is swizzled by the hardware like the rows themselves.
__device__ __forceinline__ uint64_t desc_sw128(const void* smem) {
  const uint32_t a = (uint32_t)__cvta_generic_to_shared(smem);
  return (uint64_t)((a & 0x3ffff) >> 4) | (uint64_t)(1024 >> 4) << 16 | (uint64_t)(1024 >> 4) << 32 | 1ull << 62;
}

__device__ __forceinline__ void fence() {
#if VC_WGMMA
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void commit() {
#if VC_WGMMA
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}
template <int N> __device__ __forceinline__ void wait() {
#if VC_WGMMA
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
#endif
}
// Pins accumulator registers in place around fence / commit / wait: without it the compiler may move plain
// instructions on them (zeroing, rescaling) into the wgmma pipeline, and ptxas then serializes every wgmma.
template <int N>
__device__ __forceinline__ void fence_operand(float (&c)[N][4]) {
#pragma unroll
  for (int i = 0; i < N; ++i) {
#pragma unroll
    for (int e = 0; e < 4; ++e) asm volatile("" : "+f"(c[i][e])::"memory");
  }
}
// Shared memory written by ordinary stores (cp.async included) must be fenced before wgmma reads it.
__device__ __forceinline__ void fence_smem() {
#if VC_WGMMA
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

#define VC_WG_F8(c, i) "+f"(c[i][0]), "+f"(c[i][1]), "+f"(c[i][2]), "+f"(c[i][3]), \
                       "+f"(c[i + 1][0]), "+f"(c[i + 1][1]), "+f"(c[i + 1][2]), "+f"(c[i + 1][3])

// (c0, c1) += A (64 x 16, registers) x B (16 x 16, descriptor): two column blocks of 8.
// TRANS_B: B is stored MN-major (N contiguous), else K-major.
template <typename T, int TRANS_B>
__device__ __forceinline__ void mma_n16(float (&c0)[4], float (&c1)[4], const uint32_t (&a)[4], uint64_t b) {
#if VC_WGMMA
#define VC_WG_N16(TY)                                                                                        \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"                                                   \
               "wgmma.mma_async.sync.aligned.m64n16k16.f32." TY "." TY                                      \
               " {%0,%1,%2,%3,%4,%5,%6,%7}, {%8,%9,%10,%11}, %12, p, 1, 1, %13;\n}\n"                      \
               : "+f"(c0[0]), "+f"(c0[1]), "+f"(c0[2]), "+f"(c0[3]), "+f"(c1[0]), "+f"(c1[1]), "+f"(c1[2]), "+f"(c1[3]) \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "n"(TRANS_B));
  if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    VC_WG_N16("bf16")
  } else {
    VC_WG_N16("f16")
  }
#undef VC_WG_N16
#endif
}

// c[j][0..3] += A (64 x 16, registers) x B (16 x 64, descriptor); c holds 8 column blocks of 8.
template <typename T, int TRANS_B>
__device__ __forceinline__ void mma_n64(float (&c)[8][4], const uint32_t (&a)[4], uint64_t b) {
#if VC_WGMMA
#define VC_WG_N64(TY)                                                                                        \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"                                                   \
               "wgmma.mma_async.sync.aligned.m64n64k16.f32." TY "." TY                                      \
               " {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"                                   \
               "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31},"                          \
               " {%32,%33,%34,%35}, %36, p, 1, 1, %37;\n}\n"                                               \
               : VC_WG_F8(c, 0), VC_WG_F8(c, 2), VC_WG_F8(c, 4), VC_WG_F8(c, 6)                             \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "n"(TRANS_B));
  if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    VC_WG_N64("bf16")
  } else {
    VC_WG_N64("f16")
  }
#undef VC_WG_N64
#endif
}
// c[j][0..3] += A x B (16 x 64) and e[0..3] += A x B' (16 x 8), one m64n72k16 instruction: the ninth block of
// 8 columns is read from the next swizzle atom along N, the descriptor's leading-byte offset further (an
// MN-major B only). The attention kernel points it at a block of ones, so e collects P's row sums.
template <typename T, int TRANS_B>
__device__ __forceinline__ void mma_n72(float (&c)[8][4], float (&e)[4], const uint32_t (&a)[4], uint64_t b) {
#if VC_WGMMA
#define VC_WG_N72(TY)                                                                                        \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"                                                   \
               "wgmma.mma_async.sync.aligned.m64n72k16.f32." TY "." TY                                      \
               " {%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,"                                   \
               "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35},"          \
               " {%36,%37,%38,%39}, %40, p, 1, 1, %41;\n}\n"                                               \
               : VC_WG_F8(c, 0), VC_WG_F8(c, 2), VC_WG_F8(c, 4), VC_WG_F8(c, 6),                            \
                 "+f"(e[0]), "+f"(e[1]), "+f"(e[2]), "+f"(e[3])                                             \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "n"(TRANS_B));
  if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    VC_WG_N72("bf16")
  } else {
    VC_WG_N72("f16")
  }
#undef VC_WG_N72
#endif
}

// GEMM form: c[j][0..3] += A (64 x 16) x B (16 x N), both K-major in shared memory (128-byte swizzle, desc_sw128).
// c holds N / 8 column blocks of 8 in the m16n8 C layout per warp, as above. N in {64, 128, 192, 256}.
#define VC_WG_F16(c, i) VC_WG_F8(c, i), VC_WG_F8(c, i + 2)
#define VC_WG_F32(c, i) VC_WG_F16(c, i), VC_WG_F16(c, i + 4)
#define VC_WG_SS(N, TY, REGS, IA, IB, ...)                                                                  \
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"                                                 \
               "wgmma.mma_async.sync.aligned.m64n" #N "k16.f32." TY "." TY " " REGS ", %" #IA ", %" #IB   \
               ", p, 1, 1, 0, 0;\n}\n"                                                                       \
               : __VA_ARGS__                                                                               \
               : "l"(a), "l"(b));
#define VC_WG_SS_ALL(TY)                                                                                      \
  if constexpr (N == 64) {                                                                                     \
    VC_WG_SS(64, TY, VC_WG_R64, 32, 33, VC_WG_F32(c, 0))                                                       \
  } else if constexpr (N == 128) {                                                                             \
    VC_WG_SS(128, TY, VC_WG_R128, 64, 65, VC_WG_F32(c, 0), VC_WG_F32(c, 8))                                     \
  } else if constexpr (N == 192) {                                                                             \
    VC_WG_SS(192, TY, VC_WG_R192, 96, 97, VC_WG_F32(c, 0), VC_WG_F32(c, 8), VC_WG_F32(c, 16))                   \
  } else {                                                                                                     \
    VC_WG_SS(256, TY, VC_WG_R256, 128, 129, VC_WG_F32(c, 0), VC_WG_F32(c, 8), VC_WG_F32(c, 16), VC_WG_F32(c, 24)) \
  }
// The accumulator operand lists "{%0,...,%(N/2 - 1)}".
#define VC_WG_R64 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31}"
#define VC_WG_R128 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63}"
#define VC_WG_R192 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63,%64,%65,%66,%67,%68,%69,%70,%71,%72,%73,%74,%75,%76,%77,%78,%79,%80,%81,%82,%83,%84,%85,%86,%87,%88,%89,%90,%91,%92,%93,%94,%95}"
#define VC_WG_R256 "{%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15,%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31,%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47,%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63,%64,%65,%66,%67,%68,%69,%70,%71,%72,%73,%74,%75,%76,%77,%78,%79,%80,%81,%82,%83,%84,%85,%86,%87,%88,%89,%90,%91,%92,%93,%94,%95,%96,%97,%98,%99,%100,%101,%102,%103,%104,%105,%106,%107,%108,%109,%110,%111,%112,%113,%114,%115,%116,%117,%118,%119,%120,%121,%122,%123,%124,%125,%126,%127}"
template <typename T, int N>
__device__ __forceinline__ void mma_ss(float (&c)[N / 8][4], uint64_t a, uint64_t b) {
  static_assert(N == 64 || N == 128 || N == 192 || N == 256, "m64nNk16 with N in {64, 128, 192, 256}");
#if VC_WGMMA
  if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    VC_WG_SS_ALL("bf16")
  } else {
    VC_WG_SS_ALL("f16")
  }
#endif
}
#undef VC_WG_SS_ALL
#undef VC_WG_SS
#undef VC_WG_R64
#undef VC_WG_R128
#undef VC_WG_R192
#undef VC_WG_R256
#undef VC_WG_F32
#undef VC_WG_F16

// The same descriptor with its leading-byte offset field (bits 16-29, in 16-byte units) set to lbo bytes.
__device__ __forceinline__ uint64_t with_lbo(uint64_t desc, uint32_t lbo) {
  return (desc & ~(0x3fffull << 16)) | (uint64_t)((lbo >> 4) & 0x3fff) << 16;
}
#undef VC_WG_F8

}  // namespace wg
}  // namespace vc
