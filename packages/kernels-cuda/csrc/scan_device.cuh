// Device-side pieces shared by the forward, backward and step kernels: the flattened kernel
// arguments, element loads/stores by runtime dtype, the per-thread recurrence over a staged
// tile, and warp-width-templated reductions. Staging of tiles: scan_stage.cuh.
//
// Thread layout of the scan kernels (forward and backward alike): a block owns kWarpSize
// consecutive channels of one group and one time chunk. Lane = channel, warp = a slice of NS
// states. So every lane of a warp reads the same B_t[n], C_t[n] (a shared-memory broadcast),
// and the sum of dB_t[n], dC_t[n] over the block's channels is a reduction across the warp.
#pragma once

#include "portability.h"
#include "scan_math.h"
#include "scan_plan.h"

namespace sscan {
namespace detail {

struct KArgs {
  int64_t batch, dim, L, N, groups, dpg, ncb, nseg;
  int64_t nchunk, chunk_segs;  // time chunks of this launch family
  int64_t chunk_base;          // first chunk of this launch
  int64_t nchunk_launch;       // chunks in this launch
  int npad, dtype;
  bool softplus;
  // Rows may move as whole 4-step quads (scan_stage_real.cuh): seqlen % 4 == 0 and every staged
  // or stored (batch, dim, L) / (batch, groups, N, L) tensor aligned to 4 elements.
  bool vec4;
  const void *u, *delta, *z, *B, *C;
  const float *A, *D, *bias, *init;
  // forward
  void* out;
  float* last_state;
  float* ck;   // checkpoints [b][d][seg][npad*cw] or null
  float* sdt;  // [b][d][chunk] sum of dt per chunk (carry-pass scratch)
  bool write_out;
  // backward
  const void* dout;
  const float* grad_last;
  void *du, *ddelta, *dz;
  float* d_init;
  float *lam, *bsdt;                 // lambda carries [b][d][bchunk][npad*cw], dt sums
  float *pB, *pC;                    // variable dB/dC partials [cb][b][g][N][L][cw]
  float *pA, *pBc, *pCc;             // [b*nbchunk + bc][d][N*cw]
  float *pD, *pbias;                 // [b*nbchunk + bc][d]
};

SSCAN_D float ld(const void* p, int64_t i, int dtype) {
  if (dtype == int(DType::Float32)) return static_cast<const float*>(p)[i];
  if (dtype == int(DType::Float16)) return f16_to_float(static_cast<const uint16_t*>(p)[i]);
  return bf16_to_float(static_cast<const uint16_t*>(p)[i]);
}
SSCAN_D void st(void* p, int64_t i, float v, int dtype) {
  if (dtype == int(DType::Float32)) static_cast<float*>(p)[i] = v;
  else if (dtype == int(DType::Float16)) static_cast<uint16_t*>(p)[i] = float_to_f16(v);
  else static_cast<uint16_t*>(p)[i] = float_to_bf16(v);
}

// Block coordinates, decoded from grid.x alone (no 65535 limit on any dimension):
// channel block fastest so blocks that share a B/C tile run together and hit L2. In 32-bit
// arithmetic (grid.x < 2^31, so every factor fits): a 64-bit division is a ~70-instruction
// subroutine, and short launches wait on this before their first load.
struct BlockPos {
  int64_t b, g, chunk, cb;
};
SSCAN_D BlockPos block_pos(const KArgs& a) {
  uint32_t bid = blockIdx.x;
  const uint32_t ncb = uint32_t(a.ncb), nch = uint32_t(a.nchunk_launch), groups = uint32_t(a.groups);
  BlockPos p;
  p.cb = bid % ncb;
  bid /= ncb;
  p.chunk = a.chunk_base + bid % nch;
  bid /= nch;
  p.g = bid % groups;
  p.b = bid / groups;
  return p;
}

// Row stride (floats) of a staged B/C tile s[t][n*cw + part]: +4 keeps 16-byte alignment
// and spreads the transposing stores over banks.
SSCAN_HD int bc_stride(int npad, int cw) { return npad * cw + 4; }

// Per-thread parameters of NS states n = k*NS + j of channel d: A (real part times log2 e),
// and constant B, C when they are not variable. Zero past dstate.
template <int NS, bool CPLX>
struct StateParams {
  float ar[NS], ai[NS], br[NS], bi[NS], cr[NS], ci[NS];
};
template <int NS, bool CPLX, bool VARB, bool VARC>
SSCAN_D void load_state_params(const KArgs& a, int64_t d, int n0, StateParams<NS, CPLX>& sp) {
#pragma unroll
  for (int j = 0; j < NS; ++j) {
    const int n = n0 + j;
    const bool ok = n < a.N;
    const int64_t i = d * a.N + n;
    if (CPLX) {
      sp.ar[j] = ok ? a.A[2 * i] * kLog2e : 0.f;
      sp.ai[j] = ok ? a.A[2 * i + 1] : 0.f;
      sp.br[j] = (!VARB && ok) ? static_cast<const float*>(a.B)[2 * i] : 0.f;
      sp.bi[j] = (!VARB && ok) ? static_cast<const float*>(a.B)[2 * i + 1] : 0.f;
      sp.cr[j] = (!VARC && ok) ? static_cast<const float*>(a.C)[2 * i] : 0.f;
      sp.ci[j] = (!VARC && ok) ? static_cast<const float*>(a.C)[2 * i + 1] : 0.f;
    } else {
      sp.ar[j] = ok ? a.A[i] * kLog2e : 0.f;
      sp.ai[j] = 0.f;
      sp.br[j] = (!VARB && ok) ? static_cast<const float*>(a.B)[i] : 0.f;
      sp.bi[j] = 0.f;
      sp.cr[j] = (!VARC && ok) ? static_cast<const float*>(a.C)[i] : 0.f;
      sp.ci[j] = 0.f;
    }
  }
}

// Advance this thread's NS states over staged steps [t_lo, t_hi) of the tile.
template <int NS, bool CPLX, bool VARB>
SSCAN_D void advance(float (&hr)[NS], float (&hi)[NS], const StateParams<NS, CPLX>& sp,
                     const float* s_u_row, const float* s_dt_row, const float* s_B, int stride,
                     int n0, int t_lo, int t_hi) {
#pragma unroll 2
  for (int t = t_lo; t < t_hi; ++t) {
    const float dt = s_dt_row[t], du = dt * s_u_row[t];
#pragma unroll
    for (int j = 0; j < NS; ++j) {
      if (CPLX) {
        const float br = VARB ? s_B[t * stride + 2 * (n0 + j)] : sp.br[j];
        const float bi = VARB ? s_B[t * stride + 2 * (n0 + j) + 1] : sp.bi[j];
        Complex<float> dA = decay_complex(dt, sp.ar[j], sp.ai[j]);
        Complex<float> h = scan_step(dA, Complex<float>{hr[j], hi[j]}, Complex<float>{du * br, du * bi});
        hr[j] = h.re;
        hi[j] = h.im;
      } else {
        const float b = VARB ? s_B[t * stride + n0 + j] : sp.br[j];
        hr[j] = scan_step(decay_real(dt, sp.ar[j]), hr[j], du * b);
      }
    }
  }
}

// ---- Warp-level reductions, width W a template parameter. ----
// Sum of v over W lanes (butterfly: every lane gets the same, bitwise identical, result).
template <int W>
SSCAN_D float warp_sum(float v) {
#pragma unroll
  for (int m = W / 2; m >= 1; m /= 2) v += shfl_xor(v, m, W);
  return v;
}
// Transposed reduction: each of W lanes holds W values; afterwards lane l returns the sum over
// the W lanes of value l. W-1 shuffles per lane instead of W*log2(W). Fixed order: deterministic.
template <int W>
SSCAN_D float transpose_reduce(float (&v)[W], int lane) {
#pragma unroll
  for (int m = W / 2; m >= 1; m /= 2) {
    const bool upper = (lane & m) != 0;
#pragma unroll
    for (int i = 0; i < m; ++i) {
      const float send = upper ? v[i] : v[i + m];
      const float keep = upper ? v[i + m] : v[i];
      v[i] = keep + shfl_xor(send, m, W);
    }
  }
  return v[0];
}
#if !defined(__HIPCC__)
// A logical 64-lane warp on CUDA (two physical 32-lane warps, 2q and 2q+1, plus shared memory):
// the same contract as transpose_reduce<64> on AMD, so code written for width 64 can be
// exercised on NVIDIA. scratch: 64*33 floats per logical warp. Every thread of the block must
// call it (it uses __syncthreads).
SSCAN_D float transpose_reduce64_emulated(float (&v)[64], int lane64, float* scratch) {
  const bool upper = (lane64 & 32) != 0;
#pragma unroll
  for (int i = 0; i < 32; ++i) scratch[lane64 * 33 + i] = upper ? v[i] : v[i + 32];
  __syncthreads();
  float w[32];
#pragma unroll
  for (int i = 0; i < 32; ++i) w[i] = (upper ? v[i + 32] : v[i]) + scratch[(lane64 ^ 32) * 33 + i];
  __syncthreads();
  return transpose_reduce<32>(w, lane64 & 31);
}
SSCAN_D float warp_sum64_emulated(float v, int lane64, float* scratch) {
  v = warp_sum<32>(v);
  if ((lane64 & 31) == 0) scratch[lane64 >> 5] = v;
  __syncthreads();
  float r = scratch[0] + scratch[1];
  __syncthreads();
  return r;
}
#endif

}  // namespace detail
}  // namespace sscan
