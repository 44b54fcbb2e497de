// Staging of time tiles from global into shared memory, split in two halves:
//   fetch_*  issues every global load of a tile for this thread at once, into registers, as raw
//            bits (nothing converts them yet, so nothing waits on them);
//   put_*    converts the raw bits and writes shared memory.
// A kernel that fetches tile q+1 before computing tile q has those loads in flight during the
// compute instead of paying one memory round trip per element (docs/perf-notes.md, v2: the
// v1 kernels spent most of their time waiting on one load at a time).
//
// Row mapping of a (rows x kTile) tile: warp k of K reads rows k + K*(i + kStageRows*batch),
// i < kStageRows, lane = step, so each row read is one coalesced kTile-step segment. One
// batch covers the kWarpSize channel rows when K >= kWarpSize / kStageRows (dstate >= 16);
// smaller blocks take several batches. Where the tile is narrower than the warp (64-wide AMD
// wavefronts, 16-step tiles: scan_plan.h) a warp reads kRowsPerWarp rows at once: each of
// those row indices becomes kRowsPerWarp consecutive rows, lane / kTile picks one and
// lane % kTile is the step (SSCAN_STAGE_ROW, SSCAN_STAGE_STEP).
#pragma once

#include "scan_device.cuh"

namespace sscan {
namespace detail {

constexpr int kStageRows = 8;
constexpr int kRowsPerWarp = kWarpSize / kTile;  // 1 on NVIDIA

struct RawRows {
  uint32_t v[kStageRows];
};

SSCAN_D int stage_batches(int rows, int K) {
  return (rows + K * kStageRows * kRowsPerWarp - 1) / (K * kStageRows * kRowsPerWarp);
}
// The step within the tile this thread stages, and the row of its i-th load in `batch`. Macros,
// and with one row per warp exactly the expressions they replaced: as functions, nvcc orders
// the kernels' instructions differently, and the NVIDIA code must stay what it was (checked:
// identical PTX for sm_90).
#define SSCAN_STAGE_STEP (threadIdx.x % kTile)
#if SSCAN_WARP_SIZE == 32
#define SSCAN_STAGE_ROW(k, K, i, batch) ((k) + (K) * ((i) + kStageRows * (batch)))
#else
#define SSCAN_STAGE_ROW(k, K, i, batch) \
  (((k) + (K) * ((i) + kStageRows * (batch))) * kRowsPerWarp + int(threadIdx.x % kWarpSize) / kTile)
#endif

// softplus and the SiLU gate through the special-function unit (scan_math.h has the exact
// forms; the CPU backends use those). Staging computes them once per element.
// softplus = log1p(e^x) with e^x from the special-function unit (relative error ~1e-6 for
// |x| <= 20) and an accurate log1p. Not a fast log: its ~1e-5 relative error in dt is
// systematic, and sums over thousands of steps (constant dB, dA) cancel down to values where
// it showed (v3.2: one bf16 complex constant-dB value 1.4x outside the 1e-3 tolerance).
SSCAN_D float softplus_fast(float x) { return x > 20.f ? x : log1pf(fast_exp(x)); }
SSCAN_D float sigmoid_fast(float z) { return fast_rcp(1.f + fast_exp(-z)); }
SSCAN_D float silu_fast(float z) { return z * sigmoid_fast(z); }
SSCAN_D float silu_grad_fast(float z) {
  const float s = sigmoid_fast(z);
  return s * (1.f + z * (1.f - s));
}

SSCAN_D float raw_to_float(uint32_t v, int dtype) {
  if (dtype == int(DType::Float32)) return bits_to_float(v);
  if (dtype == int(DType::Float16)) return f16_to_float(uint16_t(v));
  return bf16_to_float(uint16_t(v));
}

// Rows of a row-major [row][L] array starting at element `base` (which already includes the
// step t0 + SSCAN_STAGE_STEP), `nvalid` rows of `rows` existing, element type by dtype (16- or 32-bit).
// Rows past nvalid and steps past t_end read as raw 0 (= +0.0 in every dtype).
SSCAN_D void fetch_rows(RawRows& r, const void* src, int dtype, int64_t base, int64_t row_stride,
                        int rows, int64_t nvalid, bool step_ok, int batch) {
  const int k = threadIdx.x / kWarpSize, K = blockDim.x / kWarpSize;
  if (dtype == int(DType::Float32)) {
    const uint32_t* s = static_cast<const uint32_t*>(src);
#pragma unroll
    for (int i = 0; i < kStageRows; ++i) {
      const int row = SSCAN_STAGE_ROW(k, K, i, batch);
      r.v[i] = (step_ok && row < rows && row < nvalid) ? s[base + row * row_stride] : 0u;
    }
  } else {
    const uint16_t* s = static_cast<const uint16_t*>(src);
#pragma unroll
    for (int i = 0; i < kStageRows; ++i) {
      const int row = SSCAN_STAGE_ROW(k, K, i, batch);
      r.v[i] = (step_ok && row < rows && row < nvalid) ? uint32_t(s[base + row * row_stride]) : 0u;
    }
  }
}

// ---- Channel tiles of (batch, dim, L) tensors: rows = the block's kWarpSize channels. ----
SSCAN_D int64_t chan_base(const KArgs& a, const BlockPos& p, int64_t t0) {
  return (p.b * a.dim + p.g * a.dpg + p.cb * kWarpSize) * a.L + t0 + SSCAN_STAGE_STEP;
}
SSCAN_D int64_t chan_valid(const KArgs& a, const BlockPos& p) { return a.dpg - p.cb * kWarpSize; }

SSCAN_D void fetch_chan(RawRows& r, const void* src, const KArgs& a, const BlockPos& p, int64_t t0,
                        int64_t t_end, int batch) {
  const bool ok = t0 + SSCAN_STAGE_STEP < t_end;
  fetch_rows(r, src, a.dtype, chan_base(a, p, t0), a.L, kWarpSize, chan_valid(a, p), ok, batch);
}

// s_u[c][t] = u, s_dt[c][t] = softplus(delta + bias) (or delta + bias); 0 for both outside the
// tile's valid channels/steps, which makes the recurrence step an exact no-op (a = 1, x = 0).
SSCAN_D void put_u_dt(const RawRows& u, const RawRows& dl, const KArgs& a, const BlockPos& p,
                      int64_t t0, int64_t t_end, int batch, float* s_u, float* s_dt, int rs = kTile + 1) {
  const int lane = SSCAN_STAGE_STEP, k = threadIdx.x / kWarpSize, K = blockDim.x / kWarpSize;
  const bool step_ok = t0 + lane < t_end;
  const int64_t nvalid = chan_valid(a, p);
#pragma unroll
  for (int i = 0; i < kStageRows; ++i) {
    const int c = SSCAN_STAGE_ROW(k, K, i, batch);
    if (c >= kWarpSize) break;
    float dt = 0.f;
    if (step_ok && c < nvalid) {
      const float x = raw_to_float(dl.v[i], a.dtype) + (a.bias ? a.bias[p.g * a.dpg + p.cb * kWarpSize + c] : 0.f);
      dt = a.softplus ? softplus_fast(x) : x;
    }
    s_u[c * rs + lane] = raw_to_float(u.v[i], a.dtype);
    s_dt[c * rs + lane] = dt;
  }
}

// A plain converted copy (z, dout): s[c][t].
SSCAN_D void put_chan(const RawRows& r, const KArgs& a, int batch, float* s, int rs = kTile + 1) {
  const int lane = SSCAN_STAGE_STEP, k = threadIdx.x / kWarpSize, K = blockDim.x / kWarpSize;
#pragma unroll
  for (int i = 0; i < kStageRows; ++i) {
    const int c = SSCAN_STAGE_ROW(k, K, i, batch);
    if (c >= kWarpSize) break;
    s[c * rs + lane] = raw_to_float(r.v[i], a.dtype);
  }
}

// ---- Variable B / C tiles: rows = npad states of the block's group, s[t][n*cw + part]. ----
// Real B/C have the scan's dtype; complex ones are complex64 (re, im float32 pairs).
template <bool CPLX>
SSCAN_D void fetch_bc(RawRows& re, RawRows& im, const void* src, const KArgs& a, const BlockPos& p,
                      int64_t t0, int64_t t_end, int batch) {
  const int lane = SSCAN_STAGE_STEP;
  const bool ok = t0 + lane < t_end;
  const int64_t base = ((p.b * a.groups + p.g) * a.N) * a.L + t0 + lane;
  if (CPLX) {  // float32 pairs at 2*index: two 32-bit row reads
    fetch_rows(re, src, int(DType::Float32), 2 * base, 2 * a.L, a.npad, a.N, ok, batch);
    fetch_rows(im, static_cast<const float*>(src) + 1, int(DType::Float32), 2 * base, 2 * a.L, a.npad, a.N, ok,
               batch);
  } else {
    fetch_rows(re, src, a.dtype, base, a.L, a.npad, a.N, ok, batch);
  }
}
template <bool CPLX>
SSCAN_D void put_bc(const RawRows& re, const RawRows& im, const KArgs& a, int batch, float* s) {
  constexpr int CW = CPLX ? 2 : 1;
  const int lane = SSCAN_STAGE_STEP, k = threadIdx.x / kWarpSize, K = blockDim.x / kWarpSize;
  const int stride = bc_stride(a.npad, CW);
#pragma unroll
  for (int i = 0; i < kStageRows; ++i) {
    const int n = SSCAN_STAGE_ROW(k, K, i, batch);
    if (n >= a.npad) break;
    if (CPLX) {
      s[lane * stride + 2 * n] = bits_to_float(re.v[i]);
      s[lane * stride + 2 * n + 1] = bits_to_float(im.v[i]);
    } else {
      s[lane * stride + n] = raw_to_float(re.v[i], a.dtype);
    }
  }
}

// Backward: dy = dout * silu(z) (or dout), the gradient reaching y; optionally dout and z
// themselves for the epilogue (dz, dD). Zero outside the block's valid channels/steps.
SSCAN_D void put_dy(const RawRows& dout, const RawRows& z, const KArgs& a, int batch, float* s_dy,
                    float* s_dout, float* s_z, int rs = kTile + 1) {
  const int lane = SSCAN_STAGE_STEP, k = threadIdx.x / kWarpSize, K = blockDim.x / kWarpSize;
#pragma unroll
  for (int i = 0; i < kStageRows; ++i) {
    const int c = SSCAN_STAGE_ROW(k, K, i, batch);
    if (c >= kWarpSize) break;
    const float o = raw_to_float(dout.v[i], a.dtype);
    const float zz = a.z ? raw_to_float(z.v[i], a.dtype) : 0.f;
    const int e = c * rs + lane;
    s_dy[e] = a.z ? o * silu_fast(zz) : o;
    if (s_dout) s_dout[e] = o;
    if (s_z) s_z[e] = zz;
  }
}

// ---- Whole-tile staging for kernels without prefetch. ----
// Every staged tensor of one tile in one go: all first-batch loads are issued before any is
// converted (one memory round trip per tile instead of one per tensor), then the rest of the
// batches for small blocks. s_dy/s_dout/s_z are used when DY (backward), B/C when VARB/VARC.
template <bool CPLX, bool DY, bool VARB, bool VARC>
SSCAN_D void stage_tile(const KArgs& a, const BlockPos& p, int64_t t0, int64_t t_end, float* s_u,
                        float* s_dt, float* s_dy, float* s_dout, float* s_z, float* s_B, float* s_C) {
  const int K = blockDim.x / kWarpSize;
  RawRows u, dl, dout, z, br, bi, cr, ci;
  fetch_chan(u, a.u, a, p, t0, t_end, 0);
  fetch_chan(dl, a.delta, a, p, t0, t_end, 0);
  if (DY) fetch_chan(dout, a.dout, a, p, t0, t_end, 0);
  if (DY && a.z) fetch_chan(z, a.z, a, p, t0, t_end, 0);
  if (VARB) fetch_bc<CPLX>(br, bi, a.B, a, p, t0, t_end, 0);
  if (VARC) fetch_bc<CPLX>(cr, ci, a.C, a, p, t0, t_end, 0);
  put_u_dt(u, dl, a, p, t0, t_end, 0, s_u, s_dt);
  if (DY) put_dy(dout, z, a, 0, s_dy, s_dout, s_z);
  if (VARB) put_bc<CPLX>(br, bi, a, 0, s_B);
  if (VARC) put_bc<CPLX>(cr, ci, a, 0, s_C);
  for (int b = 1; b < stage_batches(kWarpSize, K); ++b) {
    fetch_chan(u, a.u, a, p, t0, t_end, b);
    fetch_chan(dl, a.delta, a, p, t0, t_end, b);
    if (DY) fetch_chan(dout, a.dout, a, p, t0, t_end, b);
    if (DY && a.z) fetch_chan(z, a.z, a, p, t0, t_end, b);
    put_u_dt(u, dl, a, p, t0, t_end, b, s_u, s_dt);
    if (DY) put_dy(dout, z, a, b, s_dy, s_dout, s_z);
  }
  for (int b = 1; b < stage_batches(a.npad, K); ++b) {
    if (VARB) {
      fetch_bc<CPLX>(br, bi, a.B, a, p, t0, t_end, b);
      put_bc<CPLX>(br, bi, a, b, s_B);
    }
    if (VARC) {
      fetch_bc<CPLX>(cr, ci, a.C, a, p, t0, t_end, b);
      put_bc<CPLX>(cr, ci, a, b, s_C);
    }
  }
}

}  // namespace detail
}  // namespace sscan
