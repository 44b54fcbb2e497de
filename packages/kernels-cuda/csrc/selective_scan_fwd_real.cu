// Selective scan forward for real A on 32-wide warps: the common case (every Mamba layer), with
// a lean inner loop. Complex A, 16 states per thread and 64-wide wavefronts take the general
// kernel (selective_scan_fwd.cu); both read and write the same checkpoints, so backward does not
// care which one ran.
//
// Why a second kernel (docs/perf-notes.md, v3): Nsight Compute on the general kernel showed 31
// instructions issued per state update at 2.6 IPC, with the integer pipe the busiest: address
// arithmetic for runtime strides, a dynamic step loop, scalar shared loads, accurate exp and
// divide calls. Here, per state update: one FMUL (dt*A), one MUFU ex2, one FMUL (dt*u*B), two
// FFMA (h, y); per step one float4 broadcast load each of B and C; per 4 steps one float4 load
// each of u and dt and one float4 store of y. Every shared address is a register plus an
// immediate, because the 32-step tile is unrolled completely (steps past the end of the
// sequence are staged as dt = u = 0, an exact no-op of the recurrence).
//
// Layout, as the general kernel: block = CB channels x S slices of NS states, lane = channel
// (CB = 32: warp = slice; CB = 16 or 8, one state per thread only: a warp holds 32 / CB slices);
// tiles of 32 steps staged in shared memory by quads (scan_stage_real.cuh), the first tile's
// loads issued before anything else and the next tile's in flight while this one is computed;
// y is summed over the S slices in the epilogue, by quads of 4 steps of one channel, so z loads
// and out stores are vector accesses. LOCAL: the first pass of a time-chunked scan.
#include "scan_internal.h"

namespace sscan {
namespace detail {

// Floats between the B (or C) slices of a block: a warp of CB < 32 channels reads 32 / CB
// slices at once, one bank apart with the padding (NS = 1).
SSCAN_HD constexpr int fwd_real_slice_stride(int ns, int cb) { return kTile * ns + (cb < 32 ? ns : 0); }

// Shared memory (floats): u, dt, z rows [CB][36]; B, C slice-major [S][stride]; y [S][CB][36].
size_t fwd_real_smem_bytes(const Plan& pl) {
  const int slices = pl.npad / pl.fwd_ns;
  return sizeof(float) * size_t(3 * pl.fwd_cb * kRealRS + 2 * slices * fwd_real_slice_stride(pl.fwd_ns, pl.fwd_cb) +
                                slices * pl.fwd_cb * kRealRS);
}

// A thread's NS states at dst (a checkpoint slot; 16-byte aligned as npad is a multiple of 4).
template <int NS>
SSCAN_D void store_states(float* dst, const float (&h)[NS]) {
  if constexpr (NS == 4) {
    *reinterpret_cast<float4*>(dst) = make_float4(h[0], h[1], h[2], h[3]);
  } else {
#pragma unroll
    for (int j = 0; j < NS; ++j) dst[j] = h[j];
  }
}

// NS states per thread: 4, or 1 where the launch would otherwise leave the GPU nearly idle
// (short sequences of few channels, which cannot be cut into time chunks): 4x the warps and a
// quarter of each thread's serial work (Plan::fwd_ns), in blocks of CB channels.
template <int DT, int NS, int CB, bool VARB, bool VARC, bool LOCAL>
__global__ void __launch_bounds__(512) selective_scan_fwd_real_kernel(KArgs a) {
#if SSCAN_WARP_SIZE == 32
  constexpr int T = 32, RS = kRealRS, SS = fwd_real_slice_stride(NS, CB);
  static_assert(NS == 4 ? CB == 32 : (CB == 16 || CB == 8), "narrow blocks hold one state per thread");
  SSCAN_DYNAMIC_SMEM(smem);
  const int lane = threadIdx.x % 32, S = blockDim.x / CB;  // S slices of NS states
  const int ch = lane % CB, slice = threadIdx.x / 32 * (32 / CB) + lane / CB;  // channel in block
  float* s_u = smem;
  float* s_dt = s_u + CB * RS;
  float* s_z = s_dt + CB * RS;
  float* s_B = s_z + CB * RS;
  float* s_C = s_B + S * SS;
  float* s_y = s_C + S * SS;
  const bool gate = !LOCAL && a.write_out && a.z;

  const BlockPos p = block_pos(a);
  const int64_t t_begin = p.chunk * a.chunk_segs * kSegLen;
  const int64_t t_end = min(a.L, t_begin + a.chunk_segs * kSegLen);

  // The next tile's quads in registers: fetched before the current tile is computed, so their
  // loads are in flight meanwhile. Blocks of fewer than 4 warps stage the rest synchronously.
  // The first tile's loads go out before the state parameters': short sequences wait on them.
  Quad<DT> nu[2], ndl[2], nz[2], nb, nc;
  const int chan_batches = chan_quad_batches<CB>();
  auto fetch_tile = [&](int64_t t0) {
    fetch_chan_quads<DT, CB>(nu, a.u, a, p, t0, t_end, 0);
    fetch_chan_quads<DT, CB>(ndl, a.delta, a, p, t0, t_end, 0);
    if (gate) fetch_chan_quads<DT, CB>(nz, a.z, a, p, t0, t_end, 0);
    if (VARB) fetch_bc_quad<DT>(nb, a.B, a, p, t0, t_end);
    if (VARC && !LOCAL) fetch_bc_quad<DT>(nc, a.C, a, p, t0, t_end);
  };
  auto put_tile = [&](int64_t t0) {
    put_u_dt_quads<DT, CB>(nu, ndl, a, p, t0, t_end, 0, s_u, s_dt);
    if (gate) put_chan_quads<DT, CB>(nz, 0, s_z);
    if (VARB) put_bc_quad<DT, NS>(nb, a, s_B, SS);
    if (VARC && !LOCAL) put_bc_quad<DT, NS>(nc, a, s_C, SS);
    for (int b = 1; b < chan_batches; ++b) {
      fetch_chan_quads<DT, CB>(nu, a.u, a, p, t0, t_end, b);
      fetch_chan_quads<DT, CB>(ndl, a.delta, a, p, t0, t_end, b);
      if (gate) fetch_chan_quads<DT, CB>(nz, a.z, a, p, t0, t_end, b);
      put_u_dt_quads<DT, CB>(nu, ndl, a, p, t0, t_end, b, s_u, s_dt);
      if (gate) put_chan_quads<DT, CB>(nz, b, s_z);
    }
  };
  if (t_begin < t_end) fetch_tile(t_begin);

  const int64_t cl = p.cb * CB + ch;
  const bool active = cl < a.dpg;
  const int64_t d = p.g * a.dpg + (active ? cl : a.dpg - 1);  // clamped: reads stay in bounds
  const int n0 = slice * NS;
  StateParams<NS, false> sp;
  load_state_params<NS, false, VARB, VARC>(a, d, n0, sp);
  const int64_t bd = p.b * a.dim + d;

  float h[NS];
#pragma unroll
  for (int j = 0; j < NS; ++j) {
    h[j] = 0.f;
    if (LOCAL) continue;
    if (a.nchunk > 1) h[j] = a.ck[(bd * a.nseg + t_begin / kSegLen) * a.npad + n0 + j];  // from the carry pass
    else if (a.init && n0 + j < a.N) h[j] = a.init[bd * a.N + n0 + j];
  }
  float sum_dt = 0.f;

  const float* u_row = s_u + ch * RS;
  const float* dt_row = s_dt + ch * RS;
  const float* Bk = s_B + slice * SS;
  const float* Ck = s_C + slice * SS;
  float* y_row = s_y + (slice * CB + ch) * RS;
  // This thread's slice of B (or C) at step t, the same for the slice's lanes (a broadcast):
  // one float4, or one float.
  auto load_slice = [](const float* base, int t, float (&v)[NS]) {
    if constexpr (NS == 4) {
      const float4 x = reinterpret_cast<const float4*>(base)[t];
      v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
    } else {
#pragma unroll
      for (int j = 0; j < NS; ++j) v[j] = base[t * NS + j];
    }
  };

  for (int64_t t0 = t_begin; t0 < t_end; t0 += T) {
    if (!LOCAL && a.ck && t0 % kSegLen == 0 && active) store_states<NS>(a.ck + (bd * a.nseg + t0 / kSegLen) * a.npad + n0, h);
    __syncthreads();  // previous tile fully consumed
    put_tile(t0);
    __syncthreads();
    if (t0 + T < t_end) fetch_tile(t0 + T);

#pragma unroll
    for (int t4 = 0; t4 < T; t4 += 4) {
      const float4 dt4 = *reinterpret_cast<const float4*>(dt_row + t4);
      const float4 u4 = *reinterpret_cast<const float4*>(u_row + t4);
      float y4[4];
#pragma unroll
      for (int s = 0; s < 4; ++s) {
        const float dt = f4_at(dt4, s), du = dt * f4_at(u4, s);
        float b[NS], c[NS];
        if (VARB) load_slice(Bk, t4 + s, b);
        if (LOCAL) sum_dt += dt;
#pragma unroll
        for (int j = 0; j < NS; ++j) h[j] = fast_exp2(dt * sp.ar[j]) * h[j] + du * (VARB ? b[j] : sp.br[j]);
        if (!LOCAL) {
          if (VARC) load_slice(Ck, t4 + s, c);
          float y = 0.f;
#pragma unroll
          for (int j = 0; j < NS; ++j) y += (VARC ? c[j] : sp.cr[j]) * h[j];
          y4[s] = y;
        }
      }
      if (!LOCAL) *reinterpret_cast<float4*>(y_row + t4) = make_float4(y4[0], y4[1], y4[2], y4[3]);
    }
    if (LOCAL || !a.write_out) continue;
    __syncthreads();
    // Epilogue by quads (4 steps of one channel row): y summed over the S slices in order, D and
    // the gate applied, one vector store. A warp covers 4 rows' 128-byte runs.
    const int64_t row0 = (p.b * a.dim + p.g * a.dpg + p.cb * CB) * a.L + t0;
    for (int q = threadIdx.x; q < CB * 8; q += blockDim.x) {
      const int r = q >> 3, s4 = (q & 7) * 4;
      const int64_t n = t_end - (t0 + s4);
      if (p.cb * CB + r >= a.dpg || n <= 0) continue;
      float4 y = *reinterpret_cast<const float4*>(s_y + r * RS + s4);
      for (int kk = 1; kk < S; ++kk) {
        const float4 v = *reinterpret_cast<const float4*>(s_y + (kk * CB + r) * RS + s4);
        y.x += v.x, y.y += v.y, y.z += v.z, y.w += v.w;
      }
      if (a.D) {
        const float Dc = a.D[p.g * a.dpg + p.cb * CB + r];
        const float4 u = *reinterpret_cast<const float4*>(s_u + r * RS + s4);
        y.x += Dc * u.x, y.y += Dc * u.y, y.z += Dc * u.z, y.w += Dc * u.w;
      }
      if (a.z) {
        const float4 z = *reinterpret_cast<const float4*>(s_z + r * RS + s4);
        y.x *= silu_fast(z.x), y.y *= silu_fast(z.y), y.z *= silu_fast(z.z), y.w *= silu_fast(z.w);
      }
      store_quad<DT>(a.out, row0 + r * a.L + s4, y, n, a.vec4);
    }
  }

  if (!active) return;
  if (LOCAL) {
    // Local end state of this chunk goes to the checkpoint slot of the next chunk's start;
    // the carry pass turns it into the true state in place.
    store_states<NS>(a.ck + (bd * a.nseg + t_end / kSegLen) * a.npad + n0, h);
    if (slice == 0) a.sdt[bd * a.nchunk + p.chunk] = sum_dt;
  } else if (a.last_state && t_end == a.L) {
#pragma unroll
    for (int j = 0; j < NS; ++j)
      if (n0 + j < a.N) a.last_state[bd * a.N + n0 + j] = h[j];
  }
#endif
}

template <int DT, int NS, int CB, bool VARB, bool VARC, bool LOCAL>
sscanError_t launch_fwd_real_pass(const KArgs& a, const Plan& pl, sscanStream_t stream) {
  auto kern = selective_scan_fwd_real_kernel<DT, NS, CB, VARB, VARC, LOCAL>;
  const size_t smem = fwd_real_smem_bytes(pl);
  const int threads = pl.npad / NS * CB;
  sscanError_t e = check_launch(pl, "selective_scan_fwd", "forward (real)", smem, threads, kMaxBlockThreads);
  if (e != sscanSuccess) return e;
  if ((e = allow_dynamic_smem<selective_scan_fwd_real_kernel<DT, NS, CB, VARB, VARC, LOCAL>>(smem, pl)) != sscanSuccess)
    return e;
  const int64_t blocks = a.batch * a.groups * a.nchunk_launch * a.ncb;
  SSCAN_LAUNCH(kern, dim3(unsigned(blocks)), dim3(threads), smem, stream, a);
  return sscanGetLastError();
}

template <int DT, int NS, int CB, bool VARB, bool VARC>
sscanError_t run_fwd_real(KArgs a, const Plan& pl, sscanStream_t stream) {
  sscanError_t e;
  a.ncb = ceil_div(a.dpg, CB);  // this kernel's channel blocks (the carry pass has its own grid)
  if (a.nchunk > 1) {
    a.chunk_base = 0;
    a.nchunk_launch = a.nchunk - 1;
    if ((e = launch_fwd_real_pass<DT, NS, CB, VARB, VARC, true>(a, pl, stream)) != sscanSuccess) return e;
    if ((e = launch_fwd_carry(a, pl, false, stream)) != sscanSuccess) return e;
  }
  a.chunk_base = 0;
  a.nchunk_launch = a.nchunk;
  return launch_fwd_real_pass<DT, NS, CB, VARB, VARC, false>(a, pl, stream);
}

bool use_fwd_real(const Plan& pl, bool is_complex) {
  return g_real_kernels && !is_complex && pl.ns == 4 && pl.warp == 32 &&
         pl.npad / pl.fwd_ns * pl.fwd_cb <= kMaxBlockThreads && fwd_real_smem_bytes(pl) <= size_t(pl.lim.smem_per_block);
}

template <int DT, int NS, int CB>
sscanError_t fwd_real_bc(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t stream) {
  if (vb && vc) return run_fwd_real<DT, NS, CB, true, true>(a, pl, stream);
  if (vb) return run_fwd_real<DT, NS, CB, true, false>(a, pl, stream);
  if (vc) return run_fwd_real<DT, NS, CB, false, true>(a, pl, stream);
  return run_fwd_real<DT, NS, CB, false, false>(a, pl, stream);
}

template <int DT>
sscanError_t fwd_real_dt(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t stream) {
  if (pl.fwd_ns == 4) return fwd_real_bc<DT, 4, 32>(a, pl, vb, vc, stream);
  return pl.fwd_cb == 16 ? fwd_real_bc<DT, 1, 16>(a, pl, vb, vc, stream) : fwd_real_bc<DT, 1, 8>(a, pl, vb, vc, stream);
}

sscanError_t fwd_real(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t stream) {
  if (a.dtype == int(DType::Float32)) return fwd_real_dt<0>(a, pl, vb, vc, stream);
  if (a.dtype == int(DType::Float16)) return fwd_real_dt<1>(a, pl, vb, vc, stream);
  return fwd_real_dt<2>(a, pl, vb, vc, stream);
}

}  // namespace detail
}  // namespace sscan
