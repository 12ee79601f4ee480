// Masked multi-head self-attention forward (Backend.selfAttention): qkv [B, N, 3, heads, D] -> out [B, N, heads, D],
// softmax over exactly the (query, key) pairs the mask allows (io.vicinity.kernels.AttentionMask):
//   DENSE  every pair;
//   RADIAL |k - l| <= w(|i - j|) for query (frame i, position k), key (frame j, position l), plus the optional
//          sink (key frame 0); w(dist) is "all" for dist <= 1, delta*S/2^r - 1 in the windowed bands, 0 (same
//          position) on sampled far frames and "none" on the others: docs/design/radial-attention.md;
//   NA3D   NATTEN's per-axis window on T, H and W: docs/design/neighborhood-attention.md.
// Two kernels, chosen by KernelCatalog.attentionKernel:
//  * attn_tc_<dtype>_d<D>_<mask> (bf16/f16, D in {16, 32, 64, 128}): flash-attention-2 style. A CTA owns a tile
//    of 64 queries of one (batch, head); 4 warps x 16 query rows. Key tiles of 64 tokens are visited only when
//    the mask allows at least one pair of the tile; K and V of the next tile stream into shared memory with
//    cp.async while the current one is multiplied (mma.sync m16n8k16, fp32 accumulation, online softmax in
//    registers); one barrier per tile publishes its K/V and frees the other buffer. Inside a tile each warp
//    classifies its four 16-key chunks: chunks with no allowed pair are skipped, fully allowed ones run without
//    per-element tests, partial ones mask element by element. Scores
//    never leave registers. A warp's tile whose pairs are all allowed takes a variant without any mask tests
//    (the dense kernel's only path); K fragments come from ldmatrix. Head dims <= 64 are compiled for 4 CTAs
//    per SM: the kernel is issue- and latency-bound. Tiles (struct Tiles) are 64 consecutive tokens for dense
//    and na3d (classify() picks the visited ones), 4 frames x 16 positions for radial.
//    Radial: a warp's 16 rows (consecutive positions) and a tile's 16-key chunks each lie in one frame, and the
//    allowed keys of one query in one key frame are one contiguous range, so the chunk flags follow exactly from
//    the warp's position range and the frame pair's window, each lane turns its two rows' [lo, hi) ranges into
//    64-bit key masks once per tile, and a partial chunk costs one bit test per score. The visited tiles and
//    their group flags come from a per-CTA table filled once from the same rule (Tiles<RADIAL>::group_flags).
//  * attn_wg_<dtype>_d64_<mask>: the same kernel on Hopper's warpgroup MMA (wgmma.cuh; sm_90a, head dim 64). The
//    4 warps are one warpgroup: S = Q K^T and O += P V are issued for all 64 rows at once with Q and P in
//    registers and K, V read by the tensor cores from shared memory (128-byte swizzled rows, no ldmatrix). A
//    16-key chunk is multiplied when any warp of the group needs it (na3d: the warps swap their chunk flags
//    through shared memory; radial: the group's flags come with the tile from the CTA's tile table; dense tiles
//    are the same for all), except that radial's Q K^T always takes the whole tile; the softmax and the masks are
//    the mma.sync kernel's (for radial the key masks alone, no per-chunk branches), except that P V is one
//    m64n72k16 product whose ninth column block is a block of ones: the tensor cores sum P's rows. The next
//    tile's search, loads and chunk flags (radial: this tile's key masks) are issued while this tile's Q K^T
//    runs; interior tiles load from byte addresses stepped from one row, without per-row zero-fill tests.
//  * attn_ref_<dtype>_<mask> (any dtype, D <= 256): one warp per query, the same classification on 32-key
//    chunks, scalar fp32 math (the fp32 path and odd head dims).
#include "common.cuh"
#include "tensor_core.cuh"
#include "wgmma.cuh"

namespace vc {
namespace attn {

enum MaskKind : int { DENSE = 0, RADIAL = 1, NA3D = 2 };

struct AttnParams {
  const void* qkv;
  void* out;
  i64 batch, tokens, heads, head_dim;
  i64 s_b, s_n;  // qkv strides in elements (batch, token); q at +h*D, k at +C, v at +2C
  i64 o_b, o_n;  // out strides in elements
  double delta;  // radial decay factor (same double arithmetic as AttentionMask.Radial.maxOffset)
  float scale;
  int kind;
  int frames, per_frame, sink;                 // radial
  int t, h, w, kt, kh, kw, dt, dh, dw;         // na3d
};

constexpr int ALL = 0x3fffffff;  // w meaning "every position"
constexpr int WTAB = 1024;       // radial w(dist) cached in shared memory for dist < WTAB

// The radial window half-width for a frame distance: ALL, >= 0 (|k - l| <= w), or -1 (no pair).
__device__ __forceinline__ int radial_w(const AttnParams& p, int dist) {
  if (dist <= 1) return ALL;
  // Call-free (no 64-bit integer or fp64 division subroutines, which would make ptxas save registers around
  // every w() in the fused kernel): dividing by 2^r is the exact multiplication by 2^-r, and the far-frame step
  // ceil(2^r / S) fits 32-bit unsigned (2^r <= 2^30, S < 2^31).
  const int r = 31 - __clz(dist);
  const unsigned two_r = 1u << r;
  if (two_r <= (unsigned)p.per_frame) {
    const double inv = __longlong_as_double((long long)(1023 - r) << 52);  // 2^-r, exact
    const double f = floor(p.delta * (double)p.per_frame * inv) - 1.0;
    return f >= (double)p.per_frame ? ALL : (int)f;  // f >= -1 since delta > 0
  }
  const unsigned step = (two_r + (unsigned)p.per_frame - 1u) / (unsigned)p.per_frame;
  return (unsigned)dist % step == 0 ? 0 : -1;
}

struct Radial {
  const AttnParams& p;
  const int* wtab;  // shared cache of radial_w
  __device__ int w(int i, int j) const {
    if (p.sink && j == 0) return ALL;
    const int d = abs(i - j);
    return d < WTAB ? wtab[d] : radial_w(p, d);
  }
  // 0: no allowed pair in queries [qa, qb] x keys [ka, kb]; 1: every pair allowed; 2: some.
  __device__ int classify(int qa, int qb, int ka, int kb) const {
    const int S = p.per_frame;
    bool any = false, all = true;
    for (int i = qa / S; i <= qb / S; ++i) {
      const int k0 = i == qa / S ? qa % S : 0, k1 = i == qb / S ? qb % S : S - 1;
      for (int j = ka / S; j <= kb / S; ++j) {
        const int l0 = j == ka / S ? ka % S : 0, l1 = j == kb / S ? kb % S : S - 1;
        const int ww = w(i, j);
        const int near = max(0, max(l0 - k1, k0 - l1));  // smallest |k - l| over the rectangle
        const int far = max(l1 - k0, k1 - l0);             // largest
        if (ww >= 0 && near <= ww) any = true;
        if (ww < 0 || far > ww) all = false;
      }
    }
    return any ? (all ? 1 : 2) : 0;
  }
  struct Row { int i, k; };
  __device__ Row row(int q) const { return {q / p.per_frame, q % p.per_frame}; }
  __device__ bool allowed(const Row& r, int key) const {
    const int j = key / p.per_frame, l = key - j * p.per_frame;
    return abs(r.k - l) <= w(r.i, j);
  }
};

// The tensor-core kernel's 64-token tiles (the CTA's queries and each key tile it visits). Dense and na3d: 64
// consecutive tokens. Radial: RF frames x RP positions (positions k..k+15 of frames i..i+3), one frame per warp:
// a run of 64 consecutive tokens spans most of a frame, so it meets every nearby key frame's window and makes
// the CTA load 0.78 of all tiles at 64 frames x 196 positions, while blocks of neighbouring positions in a few
// frames meet the far frames' narrow windows in few tiles (0.42; RadialGranularity in the tests).
constexpr int RF = 4, RP = 16;

// How query positions [pk0, pk1] of one frame use key positions [l0, l0 + lim) of a frame at window w (the
// allowed keys of position k are |k - l| <= w): 0 no pair, 1 every pair of a whole RP-key chunk, 2 some. Exact:
// the union of the rows' windows is [pk0 - w, pk1 + w], their intersection [pk1 - w, pk0 + w] (written without
// overflow for w == ALL). Radial::classify applies the same rule to token ranges; this chunk form stays apart
// because routing it through that code changed ptxas's register allocation (spills in the mma.sync kernel).
__device__ __forceinline__ int radial_chunk_use(int w, int pk0, int pk1, int l0, int lim) {
  const bool used = w >= 0 && l0 - pk1 <= w && pk0 - (l0 + lim - 1) <= w;
  const bool whole = lim == RP && pk1 - l0 <= w && l0 + RP - 1 - pk0 <= w;
  return used ? (whole ? 1 : 2) : 0;
}

template <int KIND> struct Tiles {  // consecutive tokens
  int n;
  struct At { int t; };  // a tile and what its loads need, worked out once per visited tile
  __device__ Tiles(const AttnParams& p) : n((int)p.tokens) {}
  __device__ At at(int t) const { return {t}; }
  __device__ int count() const { return (n + 63) / 64; }
  // Token of row r (0..63) of tile t, or -1 past the sequence.
  __device__ int token(int t, int r) const { return t * 64 + r < n ? t * 64 + r : -1; }
  // The token a query row computes with: its own, or for a padding row a real one (computed, never stored).
  __device__ int compute_token(int t, int r) const { return min(n - 1, t * 64 + r); }
  // Rows r0 + 16 it (r0 < 16, it < 4) of tile a, the ones a thread of the wgmma kernel loads: tokens
  // row_token(a, r0) + it * row_step(), present while row_live(a, r0, it).
  __device__ int row_token(At a, int r0) const { return a.t * 64 + r0; }
  __device__ static constexpr int row_step() { return 16; }
  __device__ bool row_live(At a, int r0, int it) const { return a.t * 64 + r0 + 16 * it < n; }
  __device__ bool whole(At a) const { return a.t * 64 + 64 <= n; }  // every row of the tile is a token
};
template <> struct Tiles<RADIAL> {  // RF frames x RP positions
  int frames, per_frame, pblocks;
  float inv_pblocks;
  __device__ Tiles(const AttnParams& p)
      : frames(p.frames), per_frame(p.per_frame), pblocks((p.per_frame + RP - 1) / RP),
        inv_pblocks(1.f / (float)pblocks) {}
  __device__ int count() const { return (frames + RF - 1) / RF * pblocks; }
  struct At { int t, f0, p0; };  // tile t = frames f0.. x positions p0..
  __device__ At at(int t) const {
    const int fb = fblock(t);
    return {t, fb * RF, (t - fb * pblocks) * RP};
  }
  // Tile t's frame block (t / pblocks) and position block (t % pblocks), from a float estimate corrected to
  // exact: the integer division routine costs ~20 instructions and runs for every visited key tile.
  __device__ int fblock(int t) const {
    int q = __float2int_rz((float)t * inv_pblocks);
    const int r = t - q * pblocks;
    // within one of the quotient for t < 2^22 (float rounding): AttentionLaunch refuses radial masks with more
    // tiles (2^28 tokens); a loop here would cost the wgmma kernel its register budget
    q += r < 0 ? -1 : (r >= pblocks ? 1 : 0);
    return q;
  }
  __device__ int frame(int t, int r) const { return at(t).f0 + r / RP; }
  __device__ int pos(int t, int r) const { return at(t).p0 + r % RP; }
  __device__ int token(int t, int r) const {
    const int i = frame(t, r), k = pos(t, r);
    return i < frames && k < per_frame ? i * per_frame + k : -1;
  }
  // Padding rows past S compute as their warp's first row (same frame, so the same key windows), rows of a
  // frame past F as the tile's first.
  __device__ int compute_token(int t, int r) const {
    const int q = token(t, r), w0 = token(t, r & ~(RP - 1));
    return q >= 0 ? q : (w0 >= 0 ? w0 : token(t, 0));
  }
  // Rows r0 + 16 it (r0 < 16, it < RF): position r0 of the tile's frames, as for consecutive tiles.
  __device__ int row_token(At a, int r0) const { return a.f0 * per_frame + a.p0 + r0; }
  __device__ int row_step() const { return per_frame; }
  __device__ bool row_live(At a, int r0, int it) const { return a.f0 + it < frames && a.p0 + r0 < per_frame; }
  __device__ bool whole(At a) const { return a.f0 + RF <= frames && a.p0 + RP <= per_frame; }
  // The CTA's chunk flags for query tile qt and key tile kt: bit c (c < RF) when some query may use a key of
  // chunk c (key frame j0 + c), bit RF when every query may use every key of the tile (all RF query frames real,
  // every chunk whole). Zero when the tile can be skipped.
  __device__ unsigned group_flags(const Radial& m, int qt, int kt) const {
    const int pk0 = pos(qt, 0), pk1 = min(per_frame, pk0 + RP) - 1;
    const int l0 = pos(kt, 0), lim = min(RP, per_frame - l0);
    const int i0 = frame(qt, 0), j0 = frame(kt, 0);
    unsigned live = 0;
    bool full = i0 + RF <= frames && j0 + RF <= frames;
    for (int i = i0; i < min(frames, i0 + RF); ++i) {
      for (int c = 0; c < RF && j0 + c < frames; ++c) {
        const int use = radial_chunk_use(m.w(i, j0 + c), pk0, pk1, l0, lim);
        live |= (use != 0 ? 1u : 0u) << c;
        full &= use == 1;
      }
    }
    return live | (full ? 1u << RF : 0u);
  }
};

__device__ __forceinline__ int na_start(int len, int k, int d, int i) {
  const int g = i % d, ip = i / d;
  const int lg = len / d + (g < len % d ? 1 : 0);
  return max(0, min(ip - k / 2, lg - k)) * d + g;
}

struct Na3d {
  const AttnParams& p;
  // Keys some query of [c0, c1] may use on one axis: every window contains its query and spans (k-1)d; with
  // d == 1 the window start is monotone, which gives the exact union.
  __device__ static void axis_union(int len, int k, int d, int c0, int c1, int& lo, int& hi) {
    if (d == 1) {
      lo = na_start(len, k, 1, c0);
      hi = na_start(len, k, 1, c1) + k - 1;
    } else {
      lo = max(0, c0 - (k - 1) * d);
      hi = min(len - 1, c1 + (k - 1) * d);
    }
  }
  // Coordinate box of the token range [a, b] (row-major T, H, W).
  __device__ void box(int a, int b, int (&lo)[3], int (&hi)[3]) const {
    const int hw = p.h * p.w;
    lo[0] = a / hw; hi[0] = b / hw;
    if (lo[0] != hi[0]) { lo[1] = 0; hi[1] = p.h - 1; } else { lo[1] = (a % hw) / p.w; hi[1] = (b % hw) / p.w; }
    if (lo[0] != hi[0] || lo[1] != hi[1]) { lo[2] = 0; hi[2] = p.w - 1; } else { lo[2] = a % p.w; hi[2] = b % p.w; }
  }
  // Conservative: 0 when no key of the range can be in a window of the queries, else 2 (tested per element).
  __device__ int classify(int qa, int qb, int ka, int kb) const {
    int ql[3], qh[3], kl[3], kh_[3];
    box(qa, qb, ql, qh);
    box(ka, kb, kl, kh_);
    const int len[3] = {p.t, p.h, p.w}, ker[3] = {p.kt, p.kh, p.kw}, dil[3] = {p.dt, p.dh, p.dw};
#pragma unroll
    for (int a = 0; a < 3; ++a) {
      int lo, hi;
      axis_union(len[a], ker[a], dil[a], ql[a], qh[a], lo, hi);
      if (kh_[a] < lo || kl[a] > hi) return 0;
    }
    return 2;
  }
  struct Row { int st, sy, sx; };
  __device__ Row row(int q) const {
    const int x = q % p.w, y = (q / p.w) % p.h, t = q / (p.w * p.h);
    return {na_start(p.t, p.kt, p.dt, t), na_start(p.h, p.kh, p.dh, y), na_start(p.w, p.kw, p.dw, x)};
  }
  __device__ static bool in_window(int off, int k, int d) { return off >= 0 && off % d == 0 && off / d < k; }
  __device__ bool allowed(const Row& r, int key) const {
    const int x = key % p.w, y = (key / p.w) % p.h, t = key / (p.w * p.h);
    return in_window(t - r.st, p.kt, p.dt) && in_window(y - r.sy, p.kh, p.dh) && in_window(x - r.sx, p.kw, p.dw);
  }
};

struct Dense {
  const AttnParams& p;
  __device__ int classify(int, int, int, int) const { return 1; }
  struct Row {};
  __device__ Row row(int) const { return {}; }
  __device__ bool allowed(const Row&, int) const { return true; }
};

template <int KIND> struct MaskOf;
template <> struct MaskOf<DENSE> { typedef Dense type; };
template <> struct MaskOf<RADIAL> { typedef Radial type; };
template <> struct MaskOf<NA3D> { typedef Na3d type; };

template <int KIND>
__device__ __forceinline__ typename MaskOf<KIND>::type make_mask(const AttnParams& p, const int* wtab);
template <> __device__ __forceinline__ Dense make_mask<DENSE>(const AttnParams& p, const int*) { return Dense{p}; }
template <> __device__ __forceinline__ Radial make_mask<RADIAL>(const AttnParams& p, const int* w) { return Radial{p, w}; }
template <> __device__ __forceinline__ Na3d make_mask<NA3D>(const AttnParams& p, const int*) { return Na3d{p}; }

__device__ void fill_wtab(const AttnParams& p, int* wtab) {
  if (p.kind != RADIAL) return;
  const int n = min(p.frames, WTAB);
  for (int d = threadIdx.x; d < n; d += blockDim.x) wtab[d] = radial_w(p, d);
}

// ------------------------------------------------------------------ tensor-core kernel
constexpr int TC_M = 64, TC_N = 64, TC_WARPS = 4, TC_CHUNK = 16;
constexpr int RB_WORDS = 64;  // radial tile bitmap window: 2048 key tiles (131072 tokens) per fill


// Bits [pos, pos + width) set (PTX bmsk.clamp: position and width clamped to 32, so pos + width may pass 32).
__device__ __forceinline__ unsigned bit_run(unsigned pos, unsigned width) {
  unsigned m;
  asm("bmsk.clamp.b32 %0, %1, %2;" : "=r"(m) : "r"(pos), "r"(width));
  return m;
}

// 2^x on the SFU alone (exp2f adds a range fix-up for subnormal results, 3 instructions more per score): the
// arguments are <= 0 and results below 2^-126 flush to 0, next to a row sum >= 1.
__device__ __forceinline__ float exp2_ftz(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool valid) {
  const unsigned s = (unsigned)__cvta_generic_to_shared(smem);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* smem) {
  const unsigned s = (unsigned)__cvta_generic_to_shared(smem);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}
template <bool B> struct Flag { static constexpr bool value = B; };

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* smem) {
  const unsigned s = (unsigned)__cvta_generic_to_shared(smem);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(s));
}

#ifndef VC_ATTN_MIN_BLOCKS
#define VC_ATTN_MIN_BLOCKS 4
#endif
// CTAs per SM the register budget is cut for: the kernel stalls on latency (mma -> softmax -> mma chains,
// shuffles, barriers), so more resident warps per scheduler pay; head dim 128 would spill, so it keeps 1.
__host__ __device__ constexpr int tc_min_blocks(int d) { return d <= 64 ? VC_ATTN_MIN_BLOCKS : 1; }

// Dynamic shared memory of the tensor-core kernel (KernelCatalog.attentionSharedBytes mirrors it).
__host__ __device__ constexpr int tc_smem_bytes(int d) { return 2 * 2 * TC_N * (d + 8) * 2; }

// Next key tile >= from (in tiles of TC_N) with at least one allowed pair for queries [qa, qb]; one warp
// classifies 32 tiles at once. Returns ntiles when none is left. Every warp computes the same answer.
template <typename M>
__device__ int next_tile(const M& m, int from, int ntiles, int qa, int qb, int n) {
  const int lane = threadIdx.x & 31;
  for (int base = from; base < ntiles; base += 32) {
    const int t = base + lane;
    const bool hit = t < ntiles && m.classify(qa, qb, t * TC_N, min(n, (t + 1) * TC_N) - 1) != 0;
    const unsigned ball = __ballot_sync(0xffffffffu, hit);
    if (ball) return base + __ffs(ball) - 1;
  }
  return ntiles;
}

// Radial: next key tile >= from that any query of query tile qt may use, from the CTA's tile bitmap over a
// window of RB_WORDS * 32 tiles (refilled when the scan leaves it), whose tiles' group flags go to rinfo[t - rwin].
// Every thread of the CTA calls it with the same arguments (it holds barriers) and gets the same answer; ntiles
// when none is left.
__device__ __forceinline__ int radial_next_tile(const Radial& m, const Tiles<RADIAL>& tiles, unsigned* rbits,
                                                unsigned char* rinfo, int& rwin, int from, int ntiles, int qt) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  for (;;) {
    if (from >= ntiles) return ntiles;
    if (rwin < 0 || from >= rwin + RB_WORDS * 32) {
      __syncthreads();  // every warp is done scanning the old window
      rwin = from & ~31;
      for (int wd = warp; wd < RB_WORDS && rwin + wd * 32 < ntiles; wd += TC_WARPS) {
        const int t = rwin + wd * 32 + lane;
        const unsigned g = t < ntiles ? tiles.group_flags(m, qt, t) : 0u;
        rinfo[wd * 32 + lane] = (unsigned char)g;
        const unsigned ball = __ballot_sync(0xffffffffu, g != 0);
        if (lane == 0) rbits[wd] = ball;
      }
      __syncthreads();
    }
    const int words = min(RB_WORDS, (ntiles - rwin + 31) >> 5);
    int wd = (from - rwin) >> 5;
    unsigned bits = rbits[wd] & (~0u << ((from - rwin) & 31));
    for (;;) {
      if (bits) return rwin + wd * 32 + __ffs(bits) - 1;
      if (++wd >= words) break;
      bits = rbits[wd];
    }
    from = rwin + words * 32;
  }
}

template <typename T, int D, int KIND, bool WG>
__device__ void attn_tc(const AttnParams p) {
  static_assert(D % 16 == 0 && D >= 16 && D <= 128, "tensor-core attention takes head dims 16..128, multiples of 16");
  static_assert(sizeof(T) == 2, "tensor-core path takes 16-bit storage");
  static_assert(!WG || D == 64, "the wgmma variant takes head dim 64");
  static_assert(!WG || 1024 + 4 * TC_N * D * 2 + 16 * D * 2 <= tc_smem_bytes(D), "wgmma tiles fit the launch's smem");
  constexpr int P = D + 8;  // smem row pitch (halves): conflict-free fragment loads and ldmatrix rows
  // mma.sync: rows of pitch P. wgmma: rows of D = 64 halves (128 bytes), the 16-byte chunk c of row r stored
  // at chunk c ^ (r % 8) (the 128-byte swizzle: the 8 rows of a chunk column lie in different banks), tiles
  // aligned to 1024 bytes as the swizzle pattern requires (static shared memory may precede this buffer).
  constexpr int TILE = WG ? TC_N * D : TC_N * P;
  extern __shared__ __align__(128) unsigned char smem_raw[];
  unsigned char* smem = smem_raw;
  if constexpr (WG) smem += (1024u - ((unsigned)__cvta_generic_to_shared(smem_raw) & 1023u)) & 1023u;
  T* sK = reinterpret_cast<T*>(smem);        // [2][TILE]
  T* sV = sK + 2 * TILE;                     // [2][TILE]
  const uint64_t wg_desc = WG ? wg::desc_sw128(sK) : 0;
  __shared__ int wtab[KIND == RADIAL ? WTAB : 1];  // static: its address is a constant (no per-lookup arithmetic)
  fill_wtab(p, wtab);
  // wgmma: 16 rows x 64 of ones after the K/V buffers, the ninth column block of P V's B operand (mma_n72), so
  // the tensor cores sum P's rows (the bf16 P that multiplies V) and the softmax needs no adds of its own.
  constexpr int ONES_AT = 4 * TILE * 2;  // bytes from sK
  if constexpr (WG) {
    static_assert(16 * D * 2 == TC_WARPS * 32 * 16, "one 16-byte store of ones per thread");
    const uint32_t one2 = Mma<T>::pack(1.f, 1.f);
    reinterpret_cast<uint4*>(smem + ONES_AT)[threadIdx.x] = make_uint4(one2, one2, one2, one2);
  }
  const int n = (int)p.tokens;
  const Tiles<KIND> tiles(p);
  // The CTA's query tile and head: the launch's x and y, or for the wgmma radial kernel the launch order
  // (x fastest, then y) mapped heaviest tile first, heads innermost: query tiles of the middle frames meet the
  // most key tiles, so the grid's last wave holds light edge tiles (16 frames: 10% faster). Kept in shared
  // memory and reread where needed: held in registers across the tile loop, they made ptxas spill (the mma.sync
  // radial kernel spilled either way, so it keeps the launch's order).
  constexpr bool HEAVY_FIRST = KIND == RADIAL && WG;
  __shared__ int2 cta_at;
  auto cta_tile = [&]() { return HEAVY_FIRST ? cta_at.x : (int)blockIdx.x; };
  auto cta_head = [&]() { return HEAVY_FIRST ? cta_at.y : (int)blockIdx.y; };
  if (threadIdx.x == 0) {
    if constexpr (HEAVY_FIRST) {
      const unsigned order = blockIdx.y * gridDim.x + blockIdx.x;  // < 2^31 (AttentionLaunch): 32-bit, no call
      const int rank = (int)(order / gridDim.y), fr = rank / tiles.pblocks;
      const int fbs = (tiles.frames + RF - 1) / RF, mid = (fbs - 1) / 2;
      const int fb = fr & 1 ? mid + (fr + 1) / 2 : mid - fr / 2;  // mid, mid + 1, mid - 1, mid + 2, ...
      cta_at = make_int2(fb * tiles.pblocks + rank % tiles.pblocks, (int)(order % gridDim.y));
    }
  }
  __syncthreads();
  const auto mask = make_mask<KIND>(p, wtab);
  const int q0 = blockIdx.x * TC_M;  // consecutive-token tiles only (dense, na3d)
  const int qt = cta_tile(), h = cta_head();
  const i64 b = blockIdx.z;
  const i64 C = p.heads * D;
  const T* base = (const T*)p.qkv + b * p.s_b + (i64)h * D;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int qb = min(n - 1, q0 + TC_M - 1);
  const int wa = min(n - 1, q0 + warp * 16), wb = min(n - 1, q0 + warp * 16 + 15);
  const bool warp_live = tiles.token(qt, warp * 16) >= 0;
  // this lane's two fragment rows
  int qr[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    qr[i] = tiles.compute_token(qt, warp * 16 + (lane >> 2) + 8 * i);
  }
  const typename MaskOf<KIND>::type::Row rows[2] = {mask.row(qr[0]), mask.row(qr[1])};
  // Radial: the warp's query frame and the CTA's positions [pk0, pk1] (a padding row computes as position pk0)
  int wfr = 0, pk0 = 0, pk1 = 0;
  if constexpr (KIND == RADIAL) {
    wfr = rows[0].i;
    pk0 = tiles.pos(qt, 0);
    pk1 = min(p.per_frame, pk0 + RP) - 1;
  }

  uint32_t qa[D / 16][4];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const T* qp = base + (i64)qr[i] * p.s_n;
#pragma unroll
    for (int s = 0; s < D / 16; ++s) {
      const int dd = s * 16 + (lane & 3) * 2;
      qa[s][i] = *reinterpret_cast<const uint32_t*>(qp + dd);
      qa[s][2 + i] = *reinterpret_cast<const uint32_t*>(qp + dd + 8);
    }
  }
  float o[D / 8][4];
#pragma unroll
  for (int j = 0; j < D / 8; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
  // Scores stay unscaled until the exp2 (one FFMA: s * scale * log2(e) - max); masked ones are -inf. A row
  // that has seen only masked scores has max -inf and exponentiates against 0 instead (exp2(-inf) = 0); every
  // row has an allowed key (its own position), so its sum ends positive.
  float mrow[2] = {-INFINITY, -INFINITY}, lrow[2] = {0.f, 0.f};  // lrow: mma.sync only
  float osum[1][4] = {{0.f, 0.f, 0.f, 0.f}};  // wgmma: row sums, columns of the ones block (rows r, r, r + 8, r + 8)
  const float sl2 = p.scale * 1.4426950408889634f;

  const int ntiles = tiles.count();
  constexpr int CH = D / 8;  // 16-byte pieces per row
  using At = typename Tiles<KIND>::At;
  // wgmma loads: thread = (row r0 < 16, chunk c); its rows r0 + 16 it, swizzled chunk c ^ (r0 % 8)
  const int ld_r0 = threadIdx.x / CH, ld_at = ld_r0 * D + (((threadIdx.x % CH) ^ (ld_r0 & 7)) * 8);
  const T* ld_src = base + C + (threadIdx.x % CH) * 8;
  const unsigned sn = (unsigned)p.s_n;  // a row stride (3 x heads x D elements): tokens * sn is one wide multiply
  const i64 ld_step = (i64)tiles.row_step() * p.s_n;
  auto load_tile = [&](const At& a, int buf) {
    T* k = sK + buf * TILE;
    T* v = sV + buf * TILE;
    if constexpr (WG) {
      static_assert(TC_N * CH == 4 * TC_WARPS * 32 && RP == 16 && RF == 4, "wgmma tile loads: 4 rows per thread");
      if (tiles.whole(a)) {  // all but the edge tiles: byte addresses stepped from one row, no zero-fill tests
        const char* kb = reinterpret_cast<const char*>(ld_src) +
                         (unsigned long long)(unsigned)tiles.row_token(a, ld_r0) * (2ull * sn);
#pragma unroll
        for (int it = 0; it < 4; ++it) {
          const char* kp = kb + it * 2 * ld_step;
          cp_async16(k + ld_at + it * 16 * D, kp, true);
          cp_async16(v + ld_at + it * 16 * D, kp + 2 * C, true);
        }
        cp_async_commit();
        return;
      }
      // rows past the sequence are zero-filled, read from a valid address (the thread's first row, or token 0)
      const bool live0 = tiles.row_live(a, ld_r0, 0);
      const T* k0p = ld_src + (unsigned long long)(unsigned)(live0 ? tiles.row_token(a, ld_r0) : 0) * sn;
#pragma unroll
      for (int it = 0; it < 4; ++it) {
        const bool live = it == 0 ? live0 : tiles.row_live(a, ld_r0, it);
        const T* kp = live ? k0p + it * ld_step : k0p;
        cp_async16(k + ld_at + it * 16 * D, kp, live);
        cp_async16(v + ld_at + it * 16 * D, kp + C, live);
      }
    } else {
      const int tile = a.t;
      for (int i = threadIdx.x; i < TC_N * CH; i += TC_WARPS * 32) {
        const int r = i / CH, c = i % CH, key = tiles.token(tile, r);
        const T* src = base + (i64)max(key, 0) * p.s_n + c * 8;
        cp_async16(k + r * P + c * 8, src + C, key >= 0);  // zero-fill past the sequence
        cp_async16(v + r * P + c * 8, src + 2 * C, key >= 0);
      }
    }
    cp_async_commit();
  };

  // Radial: the key tiles this CTA visits, as a bitmap over a window of RB_WORDS * 32 tiles, and their group
  // flags, filled once per window (Tiles<RADIAL>::group_flags) instead of classifying tiles on every step.
  __shared__ unsigned rbits[KIND == RADIAL ? RB_WORDS : 1];
  __shared__ unsigned char rinfo[KIND == RADIAL ? RB_WORDS * 32 : 1];  // the window's group flags (group_flags)
  __shared__ unsigned wflags[2][TC_WARPS];  // wgmma na3d: each warp's chunk flags per buffer (bit 31: full)
  int rwin = -1;  // first tile of the filled window (uniform over the CTA)
  auto next_of = [&](int from) -> int {
    if constexpr (KIND == DENSE) {
      return min(from, ntiles);  // every tile (no vote: its latency sat on the loop's critical path)
    } else if constexpr (KIND == NA3D) {
      return next_tile(mask, from, ntiles, q0, qb, n);
    } else {
      return radial_next_tile(mask, tiles, rbits, rinfo, rwin, from, ntiles, cta_tile());
    }
  };

  constexpr int NCH = TC_N / TC_CHUNK;  // 16-key chunks per tile
  // A tile's chunk flags for this warp (0 skip, 1 all pairs allowed, 2 test each pair), whether any chunk is
  // used and whether all are full (warp-uniform), and for radial the per-row key masks: bit t of m[r] = row t of
  // the key tile allowed for this lane's fragment row r (padding never), shifted so that bit 8j + (e & 1) is the
  // key of score element s[j][e]; set for every chunk multiplied. wgmma na3d: the warp's flags also go to
  // wflags[slot] for the group (bit c: chunk c used, bit 31: full), read after the next barrier; wgmma radial
  // reads the group's flags from the tile table (rinfo) and needs only the masks.
  auto classify_tile = [&](const At& a, int slot, int (&fl)[NCH], bool& an, bool& fu,
                           unsigned long long (&m)[2]) {
    const int k0 = a.t * TC_N;
    an = false;
    m[0] = m[1] = 0ull;
    if constexpr (KIND == RADIAL) {
      // Chunk c of the tile = positions [l0, l0 + lim) of key frame j0 + c (positions >= S and frames >= F
      // never). The warp's rows are positions [pk0, pk1] of one frame, so its chunk flags follow from the frame
      // pair's window w (radial_chunk_use; wgmma takes the group's from the tile table instead). Row k may use
      // chunk bits [k - l0 - w, k - l0 + w] (all bits of a full chunk, none of an unused one). Branch-free: the
      // table lookups of the four chunks overlap, and only clips of more than WTAB frames take the slow path
      // (Radial::w per chunk, the same values, branches per lookup and reads the table through a generic pointer).
      const int j0 = a.f0, l0 = a.p0, lim = min(RP, p.per_frame - l0);
      int ww[NCH], dmax = 0;
#pragma unroll
      for (int c = 0; c < NCH; ++c) {
        const int d = abs(wfr - (j0 + c));
        dmax = max(dmax, d);
        ww[c] = wtab[min(d, WTAB - 1)];
      }
      if (dmax >= WTAB) {
#pragma unroll
        for (int c = 0; c < NCH; ++c) ww[c] = radial_w(p, abs(wfr - (j0 + c)));
      }
#pragma unroll
      for (int c = 0; c < NCH; ++c) {
        if (p.sink && j0 + c == 0) ww[c] = ALL;
        if (!warp_live || j0 + c >= tiles.frames) ww[c] = -1;
      }
      unsigned half[2][2] = {{0u, 0u}, {0u, 0u}};  // [row][chunks 0-1 | chunks 2-3]
      if constexpr (!WG) {
#pragma unroll
        for (int c = 0; c < NCH; ++c) {
          fl[c] = radial_chunk_use(ww[c], pk0, pk1, l0, lim);
          an |= fl[c] != 0;
        }
      }
#pragma unroll
      for (int c = 0; c < NCH; ++c) {
#pragma unroll
        for (int r = 0; r < 2; ++r) {  // bits [lo, hi) of the chunk, at bit 16 of the word for odd chunks
          const int d = rows[r].k - l0, lo = max(0, d - ww[c]), hi = min(lim, d + ww[c] + 1);
          half[r][c >> 1] |= bit_run((unsigned)(lo + (c & 1) * RP), (unsigned)max(0, hi - lo));
        }
      }
      m[0] = ((unsigned long long)half[0][1] << 32 | half[0][0]) >> ((lane & 3) * 2);
      m[1] = ((unsigned long long)half[1][1] << 32 | half[1][0]) >> ((lane & 3) * 2);
    } else if constexpr (WG && KIND == DENSE) {  // the same for every warp (padding warps compute, unstored)
      an = true;
      fu = k0 + TC_N <= n;  // the last, partial tile gets its chunk flags where it is multiplied
      return;
    } else {
      int mine = 0;  // lanes 0..3 classify, then broadcast
      if (lane < NCH && warp_live) {
        const int ka = k0 + lane * TC_CHUNK;
        if (ka < n) {
          const int kb = min(n - 1, ka + TC_CHUNK - 1);
          mine = mask.classify(wa, wb, ka, kb);
          if (mine == 1 && kb != ka + TC_CHUNK - 1) mine = 2;  // chunk runs past the sequence
        }
      }
#pragma unroll
      for (int c = 0; c < NCH; ++c) {
        fl[c] = __shfl_sync(0xffffffffu, mine, c);
        an |= fl[c] != 0;
      }
    }
    fu = true;
    if constexpr (!(WG && KIND == RADIAL)) {
#pragma unroll
      for (int c = 0; c < NCH; ++c) fu &= fl[c] == 1;
    }
    if constexpr (WG && KIND == NA3D) {
      unsigned mine = fu ? 1u << 31 : 0u;
#pragma unroll
      for (int c = 0; c < NCH; ++c) mine |= (fl[c] != 0 ? 1u : 0u) << c;
      if (lane == 0) wflags[slot][warp] = mine;
    }
  };

  // One barrier per tile: it publishes the tile's K/V and chunk flags and frees the other buffer (every warp is
  // past the previous tile), into which the next tile's K/V then stream. wgmma: that work (finding the next
  // tile, its loads, its flags) runs while this tile's Q K^T is on the tensor cores. wgmma radial builds the
  // key masks of the tile being multiplied there too, rather than the next tile's a step ahead: a second set
  // of masks carried across the softmax made ptxas spill.
  constexpr bool MASKS_NOW = WG && KIND == RADIAL;
  int tile = next_of(0);
  At cur = tiles.at(tile);
  // wgmma radial: the group's flags of the current and the next tile, from the tile table
  unsigned ginfo = KIND == RADIAL && tile < ntiles ? rinfo[tile - rwin] : 0u, nginfo = 0u;
  int flag[NCH] = {};  // (unused by wgmma radial, which reads the group's flags)
  bool any, full;
  unsigned long long rm[2];
  if (tile < ntiles) {
    load_tile(cur, 0);
    if constexpr (!MASKS_NOW) classify_tile(cur, 0, flag, any, full, rm);
  }
  int next = ntiles;
  At nat = cur;
  int nflag[NCH] = {};
  bool nany = false, nfull = false;
  unsigned long long nrm[2] = {0ull, 0ull};
  for (int buf = 0; tile < ntiles; buf ^= 1) {
    auto prepare_next = [&]() {
      next = next_of(tile + 1);
      nat = tiles.at(next);
      if constexpr (KIND == RADIAL) nginfo = next < ntiles ? rinfo[next - rwin] : 0u;
      if (next < ntiles) {
        load_tile(nat, buf ^ 1);
        if constexpr (!MASKS_NOW) classify_tile(nat, buf ^ 1, nflag, nany, nfull, nrm);
      }
    };
    cp_async_wait<0>();
    if constexpr (WG) wg::fence_smem();  // the tile's cp.async writes, before wgmma reads them
    __syncthreads();
    if constexpr (!WG) prepare_next();
    const int k0 = tile * TC_N;
    // wgmma multiplies the warpgroup's 64 rows at once: a chunk is multiplied when any warp needs it (live
    // bit c), and the FULL variant only when every warp's tile is full (uniform over the group).
    unsigned live = 0;
    if constexpr (WG && KIND == RADIAL) {
      live = ginfo & ((1u << RF) - 1);
      full = (ginfo >> RF) & 1u;
      any = live != 0;
    } else if constexpr (WG && KIND == NA3D) {  // padding warps too: every warp of the group issues the same wgmma
      unsigned all = ~0u;
#pragma unroll
      for (int w = 0; w < TC_WARPS; ++w) {
        live |= wflags[buf][w] & 0xffffu;
        all &= wflags[buf][w];
      }
      full = (all >> 31) != 0;
      any = live != 0;
    }
    // The tile's math, compiled twice: FULL has no per-score mask tests (all tiles of dense, radial's
    // near-diagonal ones); the other applies the chunk flags.
    auto tile_math = [&](auto full_tag) {
      constexpr bool FULL = decltype(full_tag)::value;
      if constexpr (WG && KIND == DENSE && !FULL) {  // the sequence's last tile: chunks past its end
#pragma unroll
        for (int c = 0; c < NCH; ++c) {
          flag[c] = k0 + c * TC_CHUNK >= n ? 0 : (k0 + (c + 1) * TC_CHUNK <= n ? 1 : 2);
          live |= (flag[c] != 0 ? 1u : 0u) << c;
        }
      }
      float s[TC_N / 8][4];
#pragma unroll
      for (int j = 0; j < TC_N / 8; ++j) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
      if constexpr (WG) {
        // S = Q K^T, K-major B: a k-step (16 dims) starts 32 bytes further into the rows, a 16-key chunk 16 rows
        // further; 8-row groups lie 1024 bytes apart.
        const uint64_t dk = wg_desc + buf * (TILE * 2 / 16);  // this buffer's K tile; b bytes further: + b / 16
        wg::fence_operand(s);
        wg::fence_operand(o);
        wg::fence();
        // Whole-tile instructions for radial even when a chunk is unused (its scores are masked): with per-chunk
        // m64n16k16 instructions as well, ptxas serializes the kernel's wgmma pipeline (register pressure), which
        // costs more than the 8% of extra products (0.424 of the pairs multiplied instead of 0.393 at 64 frames).
        if (FULL || KIND == RADIAL) {
#pragma unroll
          for (int ss = 0; ss < D / 16; ++ss) wg::mma_n64<T, 0>(s, qa[ss], dk + ss * 2);
        } else {
#pragma unroll
          for (int c = 0; c < TC_N / TC_CHUNK; ++c) {
            if (!((live >> c) & 1)) continue;
#pragma unroll
            for (int ss = 0; ss < D / 16; ++ss) {
              wg::mma_n16<T, 0>(s[2 * c], s[2 * c + 1], qa[ss], dk + c * 16 * D * 2 / 16 + ss * 2);
            }
          }
        }
        wg::commit();
        prepare_next();  // overlaps the products in flight
        if constexpr (MASKS_NOW && !FULL) {  // (flags come from the tile table)
          int unused_flags[NCH];
          bool unused_any, unused_full;
          classify_tile(cur, buf, unused_flags, unused_any, unused_full, rm);
        }
        wg::wait<0>();
        wg::fence_operand(s);
      } else {
        const T* kt = sK + buf * TILE;
#pragma unroll
        for (int c = 0; c < TC_N / TC_CHUNK; ++c) {
          if (!FULL && flag[c] == 0) continue;
          // ldmatrix.x4: lanes 8m..8m+7 address rows of matrix m = (keys 16c + 8(m >> 1) + r, dims +8(m & 1)),
          // i.e. the B fragments (b0, b1) of key blocks 2c and 2c + 1
          const int m = lane >> 3, r = lane & 7;
          const T* kp = kt + (c * TC_CHUNK + (m >> 1) * 8 + r) * P + (m & 1) * 8;
#pragma unroll
          for (int ss = 0; ss < D / 16; ++ss) {
            uint32_t kb[4];
            ldmatrix_x4(kb, kp + ss * 16);
            Mma<T>::run(s[2 * c], qa[ss], kb[0], kb[1]);
            Mma<T>::run(s[2 * c + 1], qa[ss], kb[2], kb[3]);
          }
        }
      }
      // wgmma radial: the key masks alone decide (a chunk this warp does not use has no bits set, so its
      // scores, multiplied for other warps or left 0, become -inf and exponentiate to 0): no per-chunk branches.
      constexpr bool BITS = WG && KIND == RADIAL;
      float cmax[2] = {-INFINITY, -INFINITY};
#pragma unroll
      for (int j = 0; j < TC_N / 8; ++j) {
        const int f = flag[j / 2];
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          if (!FULL && !BITS && f == 0) continue;  // skipped chunk: never read again
          float v = s[j][e];
          if constexpr (!FULL && KIND == RADIAL) {
            // a fully allowed chunk has all its bits set: no need to look at the flag
            if (!((rm[e >> 1] >> (j * 8 + (e & 1))) & 1ull)) v = -INFINITY;
          } else if constexpr (!FULL) {
            const int key = k0 + j * 8 + (lane & 3) * 2 + (e & 1);
            if (f == 2 && (key >= n || !mask.allowed(rows[e >> 1], key))) v = -INFINITY;
          }
          s[j][e] = v;
          cmax[e >> 1] = fmaxf(cmax[e >> 1], v);
        }
      }
      float mnew[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        cmax[i] = fmaxf(cmax[i], __shfl_xor_sync(0xffffffffu, cmax[i], 1));
        cmax[i] = fmaxf(cmax[i], __shfl_xor_sync(0xffffffffu, cmax[i], 2));
        mnew[i] = fmaxf(mrow[i], cmax[i] * sl2);  // raw scores: scaled here (sl2 > 0)
      }
      float mref[2];  // what the exponents subtract: the max, or 0 while the row has seen no allowed score
#pragma unroll
      for (int i = 0; i < 2; ++i) mref[i] = mnew[i] == -INFINITY ? 0.f : mnew[i];
      // Once the row maxima settle most tiles leave them unchanged; the rescale by exp2(0) = 1 is then skipped
      // for the whole warp (exact: it would multiply by 1).
      if (!__all_sync(0xffffffffu, mnew[0] == mrow[0] && mnew[1] == mrow[1])) {
        float corr[2];
#pragma unroll
        for (int i = 0; i < 2; ++i) {
          corr[i] = exp2_ftz(mrow[i] - mref[i]);  // 0 from -inf: nothing was summed yet
          mrow[i] = mnew[i];
          lrow[i] *= corr[i];
          osum[0][2 * i] *= corr[i];
          osum[0][2 * i + 1] *= corr[i];
        }
#pragma unroll
        for (int j = 0; j < D / 8; ++j) {
          o[j][0] *= corr[0]; o[j][1] *= corr[0];
          o[j][2] *= corr[1]; o[j][3] *= corr[1];
        }
      }
#pragma unroll
      for (int j = 0; j < TC_N / 8; ++j) {
        if (!FULL && !BITS && flag[j / 2] == 0) {
          if constexpr (WG) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;  // multiplied for other warps
          continue;
        }
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int i = e >> 1;
          const float pe = exp2_ftz(fmaf(s[j][e], sl2, -mref[i]));
          s[j][e] = pe;
          if constexpr (!WG) lrow[i] += pe;
        }
      }
      if constexpr (WG) {
        // O += P V, MN-major B (dims contiguous, one 128-byte swizzle atom wide): a 16-key chunk is 16 rows.
        // P's fragments are all packed before the fence the wgmma needs.
        uint32_t pa[TC_N / 16][4];
#pragma unroll
        for (int ks = 0; ks < TC_N / 16; ++ks) {
          pa[ks][0] = Mma<T>::pack(s[2 * ks][0], s[2 * ks][1]);
          pa[ks][1] = Mma<T>::pack(s[2 * ks][2], s[2 * ks][3]);
          pa[ks][2] = Mma<T>::pack(s[2 * ks + 1][0], s[2 * ks + 1][1]);
          pa[ks][3] = Mma<T>::pack(s[2 * ks + 1][2], s[2 * ks + 1][3]);
        }
        // this buffer's V tile, its leading-byte offset reaching the ones block; a k-step (16 keys, KS bytes)
        // moves the start forward and so the offset back
        constexpr int KS = 16 * D * 2;
        const uint64_t dv = wg::with_lbo(wg_desc + (2 + buf) * (TILE * 2 / 16), ONES_AT - (2 + buf) * TILE * 2);
        wg::fence_operand(o);
        wg::fence_operand(osum);
        wg::fence();
#pragma unroll
        for (int ks = 0; ks < TC_N / 16; ++ks) {
          if (!FULL && !((live >> ks) & 1)) continue;
          wg::mma_n72<T, 1>(o, osum[0], pa[ks], dv + ks * (KS / 16) - ((uint64_t)(ks * (KS / 16)) << 16));
        }
        wg::commit();
        wg::wait<0>();
        wg::fence_operand(o);
        wg::fence_operand(osum);
      } else {
        const T* vt = sV + buf * TILE;
#pragma unroll
        for (int ks = 0; ks < TC_N / 16; ++ks) {
          if (!FULL && flag[ks] == 0) continue;
          uint32_t pa[4];
          pa[0] = Mma<T>::pack(s[2 * ks][0], s[2 * ks][1]);
          pa[1] = Mma<T>::pack(s[2 * ks][2], s[2 * ks][3]);
          pa[2] = Mma<T>::pack(s[2 * ks + 1][0], s[2 * ks + 1][1]);
          pa[3] = Mma<T>::pack(s[2 * ks + 1][2], s[2 * ks + 1][3]);
          const int m = lane >> 3, r = lane & 7;
#pragma unroll
          for (int np = 0; np < D / 16; ++np) {
            uint32_t vb[4];
            ldmatrix_x4_trans(vb, vt + (ks * 16 + r + (m & 1) * 8) * P + np * 16 + (m >> 1) * 8);
            Mma<T>::run(o[2 * np], pa, vb[0], vb[1]);
            Mma<T>::run(o[2 * np + 1], pa, vb[2], vb[3]);
          }
        }
      }
    };
    if (full) {
      tile_math(Flag<true>{});
    } else if (any) {
      tile_math(Flag<false>{});
    } else if constexpr (WG) {
      prepare_next();  // (group-uniform branch)
    }
    tile = next;
    cur = nat;
    ginfo = nginfo;
#pragma unroll
    for (int c = 0; c < NCH; ++c) flag[c] = nflag[c];
    any = nany;
    full = nfull;
    if constexpr (!MASKS_NOW) {
      rm[0] = nrm[0];
      rm[1] = nrm[1];
    }
  }
  if constexpr (!WG) {  // quad partial sums (wgmma: every column of the ones block holds the whole row's sum)
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      lrow[i] += __shfl_xor_sync(0xffffffffu, lrow[i], 1);
      lrow[i] += __shfl_xor_sync(0xffffffffu, lrow[i], 2);
    }
  }
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int q = tiles.token(cta_tile(), warp * 16 + (lane >> 2) + 8 * i);  // reread: fewer live registers
    if (q < 0) continue;
    // every query has at least one allowed key (its own position)
    const float inv = 1.f / (WG ? osum[0][2 * i] : lrow[i]);
    T* op = (T*)p.out + b * p.o_b + (i64)q * p.o_n + (i64)cta_head() * D;
#pragma unroll
    for (int j = 0; j < D / 8; ++j) {
      const int dd = j * 8 + (lane & 3) * 2;
      *reinterpret_cast<uint32_t*>(op + dd) = Mma<T>::pack(o[j][2 * i] * inv, o[j][2 * i + 1] * inv);
    }
  }
}

// ------------------------------------------------------------------ generic kernel: one warp per query
constexpr int REF_WARPS = 4, REF_MAX_D = 256;

template <typename T, int KIND>
__device__ void attn_ref(const AttnParams p) {
  __shared__ float s_q[REF_WARPS][REF_MAX_D];
  __shared__ int wtab[WTAB];
  fill_wtab(p, wtab);
  __syncthreads();
  const auto mask = make_mask<KIND>(p, wtab);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int n = (int)p.tokens, D = (int)p.head_dim;
  const i64 row = (i64)blockIdx.x * REF_WARPS + warp;  // over (b, h, q), q fastest
  if (row >= p.batch * p.heads * n) return;
  const int q = (int)(row % n);
  const int h = (int)((row / n) % p.heads);
  const i64 b = row / ((i64)n * p.heads);
  const i64 C = p.heads * p.head_dim;
  const T* base = (const T*)p.qkv + b * p.s_b + (i64)h * D;
  for (int i = lane; i < D; i += 32) s_q[warp][i] = to_f(base[(i64)q * p.s_n + i]) * p.scale;
  __syncwarp();
  const auto r = mask.row(q);
  float acc[REF_MAX_D / 32];
#pragma unroll
  for (int i = 0; i < REF_MAX_D / 32; ++i) acc[i] = 0.f;
  float m = -INFINITY, l = 0.f;
  for (int k0 = 0; k0 < n; k0 += 32) {
    const int k1 = min(n, k0 + 32) - 1;
    if (mask.classify(q, q, k0, k1) == 0) continue;
    const int key = k0 + lane;
    float s = -INFINITY;
    if (key < n && mask.allowed(r, key)) {
      const T* kp = base + (i64)key * p.s_n + C;
      float dot = 0.f;
      for (int i = 0; i < D; ++i) dot = fmaf(s_q[warp][i], to_f(kp[i]), dot);
      s = dot;
    }
    const float mnew = fmaxf(m, warp_max(s));
    if (mnew == -INFINITY) continue;
    const float corr = exp2f((m - mnew) * 1.4426950408889634f);  // m == -inf gives 0
    const float pe = s == -INFINITY ? 0.f : exp2f((s - mnew) * 1.4426950408889634f);
    l = l * corr + warp_sum(pe);
    m = mnew;
#pragma unroll
    for (int i = 0; i < REF_MAX_D / 32; ++i) acc[i] *= corr;
    for (int t = 0; t < 32; ++t) {
      const float pt = __shfl_sync(0xffffffffu, pe, t);
      if (pt == 0.f) continue;  // uniform across the warp
      const T* vp = base + (i64)(k0 + t) * p.s_n + 2 * C;
#pragma unroll
      for (int i = 0; i < REF_MAX_D / 32; ++i) {
        const int dd = lane + 32 * i;
        if (dd < D) acc[i] = fmaf(pt, to_f(vp[dd]), acc[i]);
      }
    }
  }
  T* op = (T*)p.out + b * p.o_b + (i64)q * p.o_n + (i64)h * D;
  const float inv = 1.f / l;
#pragma unroll
  for (int i = 0; i < REF_MAX_D / 32; ++i) {
    const int dd = lane + 32 * i;
    if (dd < D) op[dd] = from_f<T>(acc[i] * inv);
  }
}

// ------------------------------------------------------------------ conv3d im2col
// Column index = ((ci*kt + a)*kh + y)*kw + x: PyTorch's weight [Cout, Cin, kt, kh, kw] flattened row-major,
// so the GEMM takes the weight as it is stored.
struct Im2col3dParams {
  const void* in;
  void* col;
  i64 b, t, h, w, cin, kt, kh, kw, st, sh, sw, ot, oh, ow;
};

template <typename T>
__device__ void im2col3d(const Im2col3dParams p) {
  const T* in = (const T*)p.in;
  T* col = (T*)p.col;
  const i64 kcols = p.cin * p.kt * p.kh * p.kw;
  const i64 total = p.b * p.ot * p.oh * p.ow * kcols;
  for (i64 i = global_tid(); i < total; i += global_stride()) {
    i64 kc = i % kcols, r = i / kcols;
    const i64 x = kc % p.kw; kc /= p.kw;
    const i64 y = kc % p.kh; kc /= p.kh;
    const i64 a = kc % p.kt;
    const i64 ci = kc / p.kt;
    const i64 ox = r % p.ow; r /= p.ow;
    const i64 oy = r % p.oh; r /= p.oh;
    const i64 ot = r % p.ot;
    const i64 bb = r / p.ot;
    col[i] = in[(((bb * p.t + ot * p.st + a) * p.h + oy * p.sh + y) * p.w + ox * p.sw + x) * p.cin + ci];
  }
}

}  // namespace attn
}  // namespace vc

#define VC_ATTN_REF(S, T)                                                                                           \
  extern "C" __global__ void __launch_bounds__(vc::attn::REF_WARPS * 32) vc_attn_ref_##S##_dense(const vc::attn::AttnParams p) { vc::attn::attn_ref<T, vc::attn::DENSE>(p); } \
  extern "C" __global__ void __launch_bounds__(vc::attn::REF_WARPS * 32) vc_attn_ref_##S##_radial(const vc::attn::AttnParams p) { vc::attn::attn_ref<T, vc::attn::RADIAL>(p); } \
  extern "C" __global__ void __launch_bounds__(vc::attn::REF_WARPS * 32) vc_attn_ref_##S##_na3d(const vc::attn::AttnParams p) { vc::attn::attn_ref<T, vc::attn::NA3D>(p); } \
  extern "C" __global__ void vc_im2col3d_##S(const vc::attn::Im2col3dParams p) { vc::attn::im2col3d<T>(p); }
VC_FOR_EACH_DTYPE(VC_ATTN_REF)

#define VC_ATTN_TC_MASK(S, T, D, M, K) \
  extern "C" __global__ void __launch_bounds__(vc::attn::TC_WARPS * 32, vc::attn::tc_min_blocks(D)) vc_attn_tc_##S##_d##D##_##M(const vc::attn::AttnParams p) { vc::attn::attn_tc<T, D, vc::attn::K, false>(p); }
#define VC_ATTN_TC(S, T, D) \
  VC_ATTN_TC_MASK(S, T, D, dense, DENSE) VC_ATTN_TC_MASK(S, T, D, radial, RADIAL) VC_ATTN_TC_MASK(S, T, D, na3d, NA3D)
VC_ATTN_TC(bf16, __nv_bfloat16, 16)
VC_ATTN_TC(bf16, __nv_bfloat16, 32)
VC_ATTN_TC(bf16, __nv_bfloat16, 64)
VC_ATTN_TC(bf16, __nv_bfloat16, 128)
VC_ATTN_TC(f16, __half, 16)
VC_ATTN_TC(f16, __half, 32)
VC_ATTN_TC(f16, __half, 64)
VC_ATTN_TC(f16, __half, 128)

// The wgmma variant (Hopper, sm_90a; head dim 64): KernelCatalog picks it where vc_attn_wg_available says so.
#define VC_ATTN_WG_MASK(S, T, M, K) \
  extern "C" __global__ void __launch_bounds__(vc::attn::TC_WARPS * 32, vc::attn::tc_min_blocks(64)) vc_attn_wg_##S##_d64_##M(const vc::attn::AttnParams p) { \
    if constexpr (vc::wg::available()) vc::attn::attn_tc<T, 64, vc::attn::K, true>(p); }
#define VC_ATTN_WG(S, T) VC_ATTN_WG_MASK(S, T, dense, DENSE) VC_ATTN_WG_MASK(S, T, radial, RADIAL) VC_ATTN_WG_MASK(S, T, na3d, NA3D)
VC_ATTN_WG(bf16, __nv_bfloat16)
VC_ATTN_WG(f16, __half)
extern "C" __global__ void vc_attn_wg_available(int* out) { *out = vc::wg::available() ? 1 : 0; }
