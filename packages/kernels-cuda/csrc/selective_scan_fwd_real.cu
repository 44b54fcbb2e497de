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
// Layout, as the general kernel: block = 32 channels (lanes) x K warps (NS states each); tiles
// of 32 steps staged in shared memory by quads (scan_stage_real.cuh); the next tile's loads are
// in flight while this one is computed; y is summed over the K warps in the epilogue, by quads
// of 4 steps of one channel, so z loads and out stores are vector accesses. LOCAL: the first
// pass of a time-chunked scan.
#include "scan_internal.h"

namespace sscan {
namespace detail {

// Shared memory (floats): u, dt, z rows [32][36]; B, C warp-major [K][32][4]; y [K][32][36].
size_t fwd_real_smem_bytes(const Plan& pl) {
  const int warps = pl.npad / pl.fwd_ns;
  return sizeof(float) * size_t(3 * 32 * kRealRS + 2 * pl.npad * 32 + warps * 32 * kRealRS);
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
// quarter of each thread's serial work (Plan::fwd_ns).
template <int DT, int NS, bool VARB, bool VARC, bool LOCAL>
__global__ void __launch_bounds__(512) selective_scan_fwd_real_kernel(KArgs a) {
#if SSCAN_WARP_SIZE == 32
  constexpr int T = 32, RS = kRealRS;
  SSCAN_DYNAMIC_SMEM(smem);
  const int lane = threadIdx.x % 32, k = threadIdx.x / 32, K = blockDim.x / 32;
  float* s_u = smem;
  float* s_dt = s_u + 32 * RS;
  float* s_z = s_dt + 32 * RS;
  float* s_B = s_z + 32 * RS;
  float* s_C = s_B + K * T * NS;
  float* s_y = s_C + K * T * NS;
  const bool gate = !LOCAL && a.write_out && a.z;

  const BlockPos p = block_pos(a);
  const int64_t cl = p.cb * 32 + lane;
  const bool active = cl < a.dpg;
  const int64_t d = p.g * a.dpg + (active ? cl : a.dpg - 1);  // clamped: reads stay in bounds
  const int n0 = k * NS;
  StateParams<NS, false> sp;
  load_state_params<NS, false, VARB, VARC>(a, d, n0, sp);

  const int64_t t_begin = p.chunk * a.chunk_segs * kSegLen;
  const int64_t t_end = min(a.L, t_begin + a.chunk_segs * kSegLen);
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

  // The next tile's quads in registers: fetched before the current tile is computed, so their
  // loads are in flight meanwhile. Blocks of fewer than 4 warps stage the rest synchronously.
  Quad<DT> nu[2], ndl[2], nz[2], nb, nc;
  const int chan_batches = chan_quad_batches();
  auto fetch_tile = [&](int64_t t0) {
    fetch_chan_quads<DT>(nu, a.u, a, p, t0, t_end, 0);
    fetch_chan_quads<DT>(ndl, a.delta, a, p, t0, t_end, 0);
    if (gate) fetch_chan_quads<DT>(nz, a.z, a, p, t0, t_end, 0);
    if (VARB) fetch_bc_quad<DT>(nb, a.B, a, p, t0, t_end);
    if (VARC && !LOCAL) fetch_bc_quad<DT>(nc, a.C, a, p, t0, t_end);
  };
  auto put_tile = [&](int64_t t0) {
    put_u_dt_quads<DT>(nu, ndl, a, p, t0, t_end, 0, s_u, s_dt);
    if (gate) put_chan_quads<DT>(nz, 0, s_z);
    if (VARB) put_bc_quad<DT, NS>(nb, a, s_B);
    if (VARC && !LOCAL) put_bc_quad<DT, NS>(nc, a, s_C);
    for (int b = 1; b < chan_batches; ++b) {
      fetch_chan_quads<DT>(nu, a.u, a, p, t0, t_end, b);
      fetch_chan_quads<DT>(ndl, a.delta, a, p, t0, t_end, b);
      if (gate) fetch_chan_quads<DT>(nz, a.z, a, p, t0, t_end, b);
      put_u_dt_quads<DT>(nu, ndl, a, p, t0, t_end, b, s_u, s_dt);
      if (gate) put_chan_quads<DT>(nz, b, s_z);
    }
  };
  if (t_begin < t_end) fetch_tile(t_begin);

  const float* u_row = s_u + lane * RS;
  const float* dt_row = s_dt + lane * RS;
  const float* Bk = s_B + k * T * NS;
  const float* Ck = s_C + k * T * NS;
  float* y_row = s_y + (k * 32 + lane) * RS;
  // This warp's NS values of B (or C) at step t: one float4 broadcast, or one float.
  auto slice = [](const float* base, int t, float (&v)[NS]) {
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
        if (VARB) slice(Bk, t4 + s, b);
        if (LOCAL) sum_dt += dt;
#pragma unroll
        for (int j = 0; j < NS; ++j) h[j] = fast_exp2(dt * sp.ar[j]) * h[j] + du * (VARB ? b[j] : sp.br[j]);
        if (!LOCAL) {
          if (VARC) slice(Ck, t4 + s, c);
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
    // Epilogue by quads (4 steps of one channel row): y summed over the K warps in order, D and
    // the gate applied, one vector store. A warp covers 4 rows' 128-byte runs.
    const int64_t row0 = (p.b * a.dim + p.g * a.dpg + p.cb * 32) * a.L + t0;
    for (int q = threadIdx.x; q < 32 * 8; q += blockDim.x) {
      const int c = q >> 3, s4 = (q & 7) * 4;
      const int64_t n = t_end - (t0 + s4);
      if (p.cb * 32 + c >= a.dpg || n <= 0) continue;
      float4 y = *reinterpret_cast<const float4*>(s_y + c * RS + s4);
      for (int kk = 1; kk < K; ++kk) {
        const float4 v = *reinterpret_cast<const float4*>(s_y + (kk * 32 + c) * RS + s4);
        y.x += v.x, y.y += v.y, y.z += v.z, y.w += v.w;
      }
      if (a.D) {
        const float Dc = a.D[p.g * a.dpg + p.cb * 32 + c];
        const float4 u = *reinterpret_cast<const float4*>(s_u + c * RS + s4);
        y.x += Dc * u.x, y.y += Dc * u.y, y.z += Dc * u.z, y.w += Dc * u.w;
      }
      if (a.z) {
        const float4 z = *reinterpret_cast<const float4*>(s_z + c * RS + s4);
        y.x *= silu_fast(z.x), y.y *= silu_fast(z.y), y.z *= silu_fast(z.z), y.w *= silu_fast(z.w);
      }
      store_quad<DT>(a.out, row0 + c * a.L + s4, y, n, a.vec4);
    }
  }

  if (!active) return;
  if (LOCAL) {
    // Local end state of this chunk goes to the checkpoint slot of the next chunk's start;
    // the carry pass turns it into the true state in place.
    store_states<NS>(a.ck + (bd * a.nseg + t_end / kSegLen) * a.npad + n0, h);
    if (k == 0) a.sdt[bd * a.nchunk + p.chunk] = sum_dt;
  } else if (a.last_state && t_end == a.L) {
#pragma unroll
    for (int j = 0; j < NS; ++j)
      if (n0 + j < a.N) a.last_state[bd * a.N + n0 + j] = h[j];
  }
#endif
}

template <int DT, int NS, bool VARB, bool VARC, bool LOCAL>
sscanError_t launch_fwd_real_pass(const KArgs& a, const Plan& pl, sscanStream_t stream) {
  auto kern = selective_scan_fwd_real_kernel<DT, NS, VARB, VARC, LOCAL>;
  const size_t smem = fwd_real_smem_bytes(pl);
  const int threads = pl.npad / NS * pl.warp;
  sscanError_t e = check_launch(pl, "selective_scan_fwd", "forward (real)", smem, threads, kMaxBlockThreads);
  if (e != sscanSuccess) return e;
  if ((e = allow_dynamic_smem<selective_scan_fwd_real_kernel<DT, NS, VARB, VARC, LOCAL>>(smem, pl)) != sscanSuccess) return e;
  const int64_t blocks = a.batch * a.groups * a.nchunk_launch * a.ncb;
  SSCAN_LAUNCH(kern, dim3(unsigned(blocks)), dim3(threads), smem, stream, a);
  return sscanGetLastError();
}

template <int DT, int NS, bool VARB, bool VARC>
sscanError_t run_fwd_real(KArgs a, const Plan& pl, sscanStream_t stream) {
  sscanError_t e;
  if (a.nchunk > 1) {
    a.chunk_base = 0;
    a.nchunk_launch = a.nchunk - 1;
    if ((e = launch_fwd_real_pass<DT, NS, VARB, VARC, true>(a, pl, stream)) != sscanSuccess) return e;
    if ((e = launch_fwd_carry(a, pl, false, stream)) != sscanSuccess) return e;
  }
  a.chunk_base = 0;
  a.nchunk_launch = a.nchunk;
  return launch_fwd_real_pass<DT, NS, VARB, VARC, false>(a, pl, stream);
}

bool use_fwd_real(const Plan& pl, bool is_complex) {
  return g_real_kernels && !is_complex && pl.ns == 4 && pl.warp == 32 &&
         pl.npad / pl.fwd_ns * pl.warp <= kMaxBlockThreads && fwd_real_smem_bytes(pl) <= size_t(pl.lim.smem_per_block);
}

template <int DT, int NS>
sscanError_t fwd_real_bc(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t stream) {
  if (vb && vc) return run_fwd_real<DT, NS, true, true>(a, pl, stream);
  if (vb) return run_fwd_real<DT, NS, true, false>(a, pl, stream);
  if (vc) return run_fwd_real<DT, NS, false, true>(a, pl, stream);
  return run_fwd_real<DT, NS, false, false>(a, pl, stream);
}

template <int DT>
sscanError_t fwd_real_dt(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t stream) {
  return pl.fwd_ns == 1 ? fwd_real_bc<DT, 1>(a, pl, vb, vc, stream) : fwd_real_bc<DT, 4>(a, pl, vb, vc, stream);
}

sscanError_t fwd_real(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t stream) {
  if (a.dtype == int(DType::Float32)) return fwd_real_dt<0>(a, pl, vb, vc, stream);
  if (a.dtype == int(DType::Float16)) return fwd_real_dt<1>(a, pl, vb, vc, stream);
  return fwd_real_dt<2>(a, pl, vb, vc, stream);
}

}  // namespace detail
}  // namespace sscan
