// Staging for the real-A kernels (selective_scan_{fwd,bwd}_real.cu): tiles of 32 steps move in
// quads, 4 consecutive steps of one row, and the element type is a template parameter.
//
// Why (docs/perf-notes.md, v3): with one element per load and the dtype decided per element,
// staging cost more instructions than the recurrence it feeds (address arithmetic, bounds
// predicates, a three-way branch and its reconvergence per element). A quad is one 16-byte
// (float32) or 8-byte (16-bit) load when the rows allow it, which KArgs::vec4 says once per
// launch (seqlen % 4 == 0 and aligned tensors); otherwise it is 4 bounds-checked scalar loads.
//
// Shared layouts: channel rows [32][kRealRS] (stride 36: 16-byte aligned, and a quarter-warp's
// float4 accesses at stride 36 hit 32 distinct banks); B/C warp-major s[n / 4][t][n % 4], so
// the 4 states of a warp's slice at step t are one float4 that every lane reads at once.
//
// Quad numbering: channel tiles have ROWS (32, or the forward's 16 or 8) rows x 8 quads (quad
// q: row q / 8, steps 4 (q % 8)...); a thread stages quads threadIdx.x + blockDim.x * (i + 2
// batch), i < 2, so blocks of 4+ warps need one batch. B/C tiles have npad x 8 <= blockDim.x
// quads: at most one each.
#pragma once

#include "scan_stage.cuh"

namespace sscan {
namespace detail {

constexpr int kRealRS = 36;

// 4 raw elements of dtype DT (DType value): float32 bits in a uint4, 16-bit ones packed in a
// uint2 (element j in bits 16 (j % 2) of word j / 2: the little-endian order of memory).
template <int DT>
struct Quad {
  uint2 v;
};
template <>
struct Quad<0> {
  uint4 v;
};

template <int DT>
SSCAN_D float elem_to_float(uint32_t bits) {
  if constexpr (DT == int(DType::Float32)) return bits_to_float(bits);
  else if constexpr (DT == int(DType::Float16)) return f16_to_float(uint16_t(bits));
  else return bf16_to_float(uint16_t(bits));
}
template <int DT>
SSCAN_D uint32_t float_to_elem(float f) {
  if constexpr (DT == int(DType::Float32)) return float_to_bits(f);
  else if constexpr (DT == int(DType::Float16)) return float_to_f16(f);
  else return float_to_bf16(f);
}

template <int DT>
SSCAN_D float4 quad_to_f4(const Quad<DT>& q) {
  if constexpr (DT == int(DType::Float32)) {
    return make_float4(bits_to_float(q.v.x), bits_to_float(q.v.y), bits_to_float(q.v.z), bits_to_float(q.v.w));
  } else {
    return make_float4(elem_to_float<DT>(q.v.x & 0xffffu), elem_to_float<DT>(q.v.x >> 16),
                       elem_to_float<DT>(q.v.y & 0xffffu), elem_to_float<DT>(q.v.y >> 16));
  }
}

// Loads the quad at element offset `off` of src, of which `n` steps exist (n <= 0: none, all
// zero bits = +0.0). With vec, n is either <= 0 or >= 4 and the address is aligned.
template <int DT>
SSCAN_D void fetch_quad(Quad<DT>& q, const void* src, int64_t off, int64_t n, bool vec) {
  if constexpr (DT == int(DType::Float32)) {
    const uint32_t* s = static_cast<const uint32_t*>(src) + off;
    if (vec) {
      q.v = uint4{0u, 0u, 0u, 0u};
      if (n > 0) q.v = *reinterpret_cast<const uint4*>(s);
    } else {
      q.v.x = n > 0 ? s[0] : 0u;
      q.v.y = n > 1 ? s[1] : 0u;
      q.v.z = n > 2 ? s[2] : 0u;
      q.v.w = n > 3 ? s[3] : 0u;
    }
  } else {
    const uint16_t* s = static_cast<const uint16_t*>(src) + off;
    if (vec) {
      q.v = uint2{0u, 0u};
      if (n > 0) q.v = *reinterpret_cast<const uint2*>(s);
    } else {
      const uint32_t e0 = n > 0 ? s[0] : 0u, e1 = n > 1 ? s[1] : 0u, e2 = n > 2 ? s[2] : 0u, e3 = n > 3 ? s[3] : 0u;
      q.v.x = e0 | (e1 << 16);
      q.v.y = e2 | (e3 << 16);
    }
  }
}

// Stores the first n (<= 4) values of v at dst[off...]; vec as for fetch_quad.
template <int DT>
SSCAN_D void store_quad(void* dst, int64_t off, float4 v, int64_t n, bool vec) {
  if (n <= 0) return;
  if constexpr (DT == int(DType::Float32)) {
    float* d = static_cast<float*>(dst) + off;
    if (vec) {
      *reinterpret_cast<float4*>(d) = v;
    } else {
      d[0] = v.x;
      if (n > 1) d[1] = v.y;
      if (n > 2) d[2] = v.z;
      if (n > 3) d[3] = v.w;
    }
  } else {
    uint16_t* d = static_cast<uint16_t*>(dst) + off;
    const uint32_t e0 = float_to_elem<DT>(v.x), e1 = float_to_elem<DT>(v.y), e2 = float_to_elem<DT>(v.z),
                   e3 = float_to_elem<DT>(v.w);
    if (vec) {
      *reinterpret_cast<uint2*>(d) = uint2{e0 | (e1 << 16), e2 | (e3 << 16)};
    } else {
      d[0] = uint16_t(e0);
      if (n > 1) d[1] = uint16_t(e1);
      if (n > 2) d[2] = uint16_t(e2);
      if (n > 3) d[3] = uint16_t(e3);
    }
  }
}

template <int DT>
SSCAN_D void store_elem(void* dst, int64_t i, float v) {
  if constexpr (DT == int(DType::Float32)) static_cast<float*>(dst)[i] = v;
  else static_cast<uint16_t*>(dst)[i] = uint16_t(float_to_elem<DT>(v));
}

// A thread's quads of one staging batch of a channel tile (the block's ROWS channels), located
// once per kernel: rows do not move between tiles, so a tile's fetch is an add and a load.
// Quad i < 2 is q = q0 + blockDim.x * i, q0 = threadIdx.x + 2 blockDim.x batch: row q / 8,
// first step s4 = 4 (q % 8), the same for both quads (blockDim.x % 8 == 0). Kept small: the
// kernels holding it are near their register limit.
struct ChanQuads {
  int64_t off;    // element offset of quad 0's first step in tile t0 = 0
  int64_t end;    // t_end - s4: the quads' steps in tile t0 are end - t0 (where the row exists)
  float bias[2];  // the rows' delta bias (0 without)
  int q0;
  bool ok[2];     // the quad's row exists: in the tile and below the group's channels
  SSCAN_D int rows_apart() const { return int(blockDim.x) >> 3; }
  SSCAN_D int64_t steps(int i, int64_t t0) const { return ok[i] ? end - t0 : 0; }
  // Shared-memory offset (row * kRealRS + s4) of quad i, or -1 where no such quad.
  template <int ROWS>
  SSCAN_D int sm(int i) const {
    const int q = q0 + int(blockDim.x) * i;
    return q < ROWS * 8 ? (q >> 3) * kRealRS + (q & 7) * 4 : -1;
  }
};
template <int ROWS = 32>
SSCAN_D int chan_quad_batches() {
  return (ROWS * 8 + 2 * int(blockDim.x) - 1) / (2 * int(blockDim.x));
}
template <int ROWS = 32>
SSCAN_D ChanQuads chan_quads(const KArgs& a, const BlockPos& p, int64_t t_end, int batch) {
  ChanQuads c;
  c.q0 = int(threadIdx.x) + 2 * int(blockDim.x) * batch;
  const int row = c.q0 >> 3, s4 = (c.q0 & 7) * 4;
  const int64_t chan0 = p.g * a.dpg + p.cb * ROWS, nvalid = a.dpg - p.cb * ROWS;
  c.off = (p.b * a.dim + chan0 + row) * a.L + s4;
  c.end = t_end - s4;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int q = c.q0 + int(blockDim.x) * i, r = row + c.rows_apart() * i;
    c.ok[i] = q < ROWS * 8 && r < nvalid;
    c.bias[i] = c.ok[i] && a.bias ? a.bias[chan0 + r] : 0.f;
  }
  return c;
}

// The quads of tile t0 of src (a (batch, dim, L) tensor of dtype DT).
template <int DT>
SSCAN_D void fetch_chan_quads(Quad<DT> (&q)[2], const void* src, const ChanQuads& c, int64_t t0, int64_t L,
                              bool vec) {
#pragma unroll
  for (int i = 0; i < 2; ++i) fetch_quad<DT>(q[i], src, c.off + int64_t(c.rows_apart() * i) * L + t0, c.steps(i, t0), vec);
}

// s_u = u, s_dt = softplus(delta + bias) (or delta + bias); both 0 outside the tile's valid
// channels and steps, which makes a recurrence step an exact no-op (decay 1, input 0).
template <int DT, int ROWS = 32>
SSCAN_D void put_u_dt_quads(const Quad<DT> (&qu)[2], const Quad<DT> (&qd)[2], const ChanQuads& c, int64_t t0,
                            bool softplus, float* s_u, float* s_dt) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int e = c.sm<ROWS>(i);
    if (e < 0) break;
    const float4 u = quad_to_f4<DT>(qu[i]), x = quad_to_f4<DT>(qd[i]);
    const int64_t n = c.steps(i, t0);
    float dt[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float v = f4_at(x, j) + c.bias[i];
      dt[j] = j < n ? (softplus ? softplus_fast(v) : v) : 0.f;
    }
    *reinterpret_cast<float4*>(s_u + e) = u;
    *reinterpret_cast<float4*>(s_dt + e) = make_float4(dt[0], dt[1], dt[2], dt[3]);
  }
}

// A plain converted copy (z).
template <int DT, int ROWS = 32>
SSCAN_D void put_chan_quads(const Quad<DT> (&q)[2], const ChanQuads& c, float* s) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int e = c.sm<ROWS>(i);
    if (e < 0) break;
    *reinterpret_cast<float4*>(s + e) = quad_to_f4<DT>(q[i]);
  }
}

// Backward: s_dy = dout * silu(z) (or dout), s_dout = dout, s_z = z.
template <int DT>
SSCAN_D void put_dy_quads(const Quad<DT> (&qo)[2], const Quad<DT> (&qz)[2], bool has_z, const ChanQuads& c,
                          float* s_dy, float* s_dout, float* s_z) {
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int e = c.sm<32>(i);
    if (e < 0) break;
    const float4 o = quad_to_f4<DT>(qo[i]);
    const float4 z = has_z ? quad_to_f4<DT>(qz[i]) : make_float4(0.f, 0.f, 0.f, 0.f);
    *reinterpret_cast<float4*>(s_dout + e) = o;
    *reinterpret_cast<float4*>(s_z + e) = z;
    *reinterpret_cast<float4*>(s_dy + e) =
        has_z ? make_float4(o.x * silu_fast(z.x), o.y * silu_fast(z.y), o.z * silu_fast(z.z), o.w * silu_fast(z.w)) : o;
  }
}

// B or C (variable, real: dtype DT), rows = the npad states of the block's group: at most one
// quad per thread (npad * 8 <= blockDim.x), held by the block's last threads (quad = blockDim.x
// - 1 - threadIdx.x), so that blocks with more threads than channel quads stage B and C on
// threads that hold no channel quad.
SSCAN_D int bc_quad_index() { return int(blockDim.x) - 1 - int(threadIdx.x); }
struct BcQuad {
  int64_t off, end;  // as ChanQuads; end = 0 past the group's states
};
SSCAN_D BcQuad bc_quad(const KArgs& a, const BlockPos& p, int64_t t_end) {
  const int qi = bc_quad_index(), n = qi >> 3, s4 = (qi & 7) * 4;
  return {((p.b * a.groups + p.g) * a.N + n) * a.L + s4, n < a.N ? t_end - s4 : 0};
}
template <int DT>
SSCAN_D void fetch_bc_quad(Quad<DT>& q, const void* src, const BcQuad& c, int64_t t0, bool vec) {
  fetch_quad<DT>(q, src, c.off + t0, c.end - t0, vec);
}
// Stored slice-major for slices of NS states: s[n / NS][t][n % NS] (NS = 4: one float4 per
// warp and step; NS = 1: one float), slices slice_stride floats apart (at least kTile * NS).
// Threads past the npad * 8 quads hold none.
template <int DT, int NS = 4>
SSCAN_D void put_bc_quad(const Quad<DT>& q, const KArgs& a, float* s, int slice_stride = kTile * NS) {
  const int qi = bc_quad_index(), n = qi >> 3, s4 = (qi & 7) * 4;
  if (n >= a.npad) return;
  const float4 v = quad_to_f4<DT>(q);
  float* d = s + (n / NS) * slice_stride + s4 * NS + (n % NS);
  d[0] = v.x;
  d[NS] = v.y;
  d[2 * NS] = v.z;
  d[3 * NS] = v.w;
}

// One whole tile for the backward, all loads of the first batch in flight together.
template <int DT, bool DY, bool VARB, bool VARC>
SSCAN_D void stage_tile_real(const KArgs& a, const BlockPos& p, int64_t t0, int64_t t_end, float* s_u,
                             float* s_dt, float* s_dy, float* s_dout, float* s_z, float* s_B, float* s_C) {
  Quad<DT> u[2], dl[2], dout[2], z[2], b, c;
  const bool has_z = DY && a.z;
  const BcQuad bq = bc_quad(a, p, t_end);
  if (VARB) fetch_bc_quad<DT>(b, a.B, bq, t0, a.vec4);
  if (VARC) fetch_bc_quad<DT>(c, a.C, bq, t0, a.vec4);
  const int nb = chan_quad_batches();
  for (int batch = 0; batch < nb; ++batch) {
    const ChanQuads cq = chan_quads(a, p, t_end, batch);
    fetch_chan_quads<DT>(u, a.u, cq, t0, a.L, a.vec4);
    fetch_chan_quads<DT>(dl, a.delta, cq, t0, a.L, a.vec4);
    if (DY) fetch_chan_quads<DT>(dout, a.dout, cq, t0, a.L, a.vec4);
    if (has_z) fetch_chan_quads<DT>(z, a.z, cq, t0, a.L, a.vec4);
    put_u_dt_quads<DT>(u, dl, cq, t0, a.softplus, s_u, s_dt);
    if (DY) put_dy_quads<DT>(dout, z, has_z, cq, s_dy, s_dout, s_z);
  }
  if (VARB) put_bc_quad<DT>(b, a, s_B);
  if (VARC) put_bc_quad<DT>(c, a, s_C);
}

}  // namespace detail
}  // namespace sscan
