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
// y is summed over the S slices in the epilogue, by runs of 4 steps of one channel (2 with one
// state per thread), so z loads and out stores are vector accesses. LOCAL: the first pass of a
// time-chunked scan.
#include "scan_internal.h"

namespace sscan {
namespace detail {

// Floats between the B (or C) slices of a block: a warp of CB < 32 channels (one state per
// thread) reads 32 / CB slices at once, 4 steps of each as a float4: 4 banks apart with the
// padding, 16-byte aligned.
SSCAN_HD constexpr int fwd_real_slice_stride(int ns, int cb) { return kTile * ns + (cb < 32 ? 4 : 0); }

// Shared memory (floats): u, dt, z rows [CB][36]; B, C slice-major [S][stride]; y [S][CB][36];
// D [CB].
size_t fwd_real_smem_bytes(const Plan& pl) {
  const int slices = pl.npad / pl.fwd_ns;
  return sizeof(float) * size_t(3 * pl.fwd_cb * kRealRS + 2 * slices * fwd_real_slice_stride(pl.fwd_ns, pl.fwd_cb) +
                                slices * pl.fwd_cb * kRealRS + pl.fwd_cb);
}

// EW (4 or 2) consecutive floats of a shared row, one vector load (16- or 8-byte aligned).
template <int EW>
SSCAN_D void load_run(const float* src, float (&v)[EW]) {
  if constexpr (EW == 4) {
    const float4 x = *reinterpret_cast<const float4*>(src);
    v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
  } else {
    const float2 x = *reinterpret_cast<const float2*>(src);
    v[0] = x.x, v[1] = x.y;
  }
}

// The first n (<= 2) of v0, v1 at dst[off...] as dtype DT: one 8- or 4-byte store where vec
// (KArgs::vec4: rows start 4-element aligned, and off is even here), else checked scalars.
template <int DT>
SSCAN_D void store_pair(void* dst, int64_t off, float v0, float v1, int64_t n, bool vec) {
  if (n <= 0) return;
  if constexpr (DT == int(DType::Float32)) {
    float* d = static_cast<float*>(dst) + off;
    if (vec) {
      *reinterpret_cast<float2*>(d) = make_float2(v0, v1);
    } else {
      d[0] = v0;
      if (n > 1) d[1] = v1;
    }
  } else {
    uint16_t* d = static_cast<uint16_t*>(dst) + off;
    const uint32_t e0 = float_to_elem<DT>(v0), e1 = float_to_elem<DT>(v1);
    if (vec) {
      *reinterpret_cast<uint32_t*>(d) = e0 | (e1 << 16);
    } else {
      d[0] = uint16_t(e0);
      if (n > 1) d[1] = uint16_t(e1);
    }
  }
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
  float* s_D = s_y + S * CB * RS;  // the epilogue's D, staged once (not a global load per tile)
  const bool gate = !LOCAL && a.write_out && a.z;

  const BlockPos p = block_pos(a);
  const int64_t t_begin = p.chunk * a.chunk_segs * kSegLen;
  const int64_t t_end = min(a.L, t_begin + a.chunk_segs * kSegLen);

  // The next tile's quads in registers: fetched before the current tile is computed, so their
  // loads are in flight meanwhile. Blocks of fewer than 4 warps stage the rest synchronously.
  // The first tile's loads go out before the state parameters': short sequences wait on them.
  // Quad positions are kept in registers with one state per thread; with 4 (long sequences,
  // many blocks per SM) they are recomputed per tile: 12 more registers there cost a block per
  // SM (bf16 90 -> 127 registers made (4,5120,2048,16) 40 % slower; perf-notes v3.6).
  Quad<DT> nu[2], ndl[2], nz[2], nb, nc;
  constexpr bool kKeepQuads = NS == 1;
  const ChanQuads cq0 = chan_quads<CB>(a, p, t_end, 0);
  auto quads = [&]() { return kKeepQuads ? cq0 : chan_quads<CB>(a, p, t_end, 0); };
  const BcQuad bq = bc_quad(a, p, t_end);
  const int chan_batches = chan_quad_batches<CB>();
  auto fetch_tile = [&](int64_t t0) {
    const ChanQuads cq = quads();
    fetch_chan_quads<DT>(nu, a.u, cq, t0, a.L, a.vec4);
    fetch_chan_quads<DT>(ndl, a.delta, cq, t0, a.L, a.vec4);
    if (gate) fetch_chan_quads<DT>(nz, a.z, cq, t0, a.L, a.vec4);
    if (VARB) fetch_bc_quad<DT>(nb, a.B, bq, t0, a.vec4);
    if (VARC && !LOCAL) fetch_bc_quad<DT>(nc, a.C, bq, t0, a.vec4);
  };
  auto put_tile = [&](int64_t t0) {
    const ChanQuads cq = quads();
    put_u_dt_quads<DT, CB>(nu, ndl, cq, t0, a.softplus, s_u, s_dt);
    if (gate) put_chan_quads<DT, CB>(nz, cq, s_z);
    if (VARB) put_bc_quad<DT, NS>(nb, a, s_B, SS);
    if (VARC && !LOCAL) put_bc_quad<DT, NS>(nc, a, s_C, SS);
    for (int b = 1; b < chan_batches; ++b) {
      const ChanQuads cb = chan_quads<CB>(a, p, t_end, b);
      fetch_chan_quads<DT>(nu, a.u, cb, t0, a.L, a.vec4);
      fetch_chan_quads<DT>(ndl, a.delta, cb, t0, a.L, a.vec4);
      if (gate) fetch_chan_quads<DT>(nz, a.z, cb, t0, a.L, a.vec4);
      put_u_dt_quads<DT, CB>(nu, ndl, cb, t0, a.softplus, s_u, s_dt);
      if (gate) put_chan_quads<DT, CB>(nz, cb, s_z);
    }
  };
  if (t_begin < t_end) fetch_tile(t_begin);
  if (a.D && int(threadIdx.x) < CB) {  // read after the tile loop's first barrier
    const int64_t r = p.cb * CB + threadIdx.x;
    s_D[threadIdx.x] = r < a.dpg ? a.D[p.g * a.dpg + r] : 0.f;
  }

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
  // This thread's slice of B (or C) at step t4 + s, the same for the slice's lanes (a
  // broadcast): 4 states, one float4 per step; 1 state, from q4 (4 steps loaded per quad).
  auto load_slice = [](const float* base, const float4& q4, int t4, int s, float (&v)[NS]) {
    if constexpr (NS == 4) {
      const float4 x = reinterpret_cast<const float4*>(base)[t4 + s];
      v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
    } else {
      v[0] = f4_at(q4, s);
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
      float4 b4 = make_float4(0.f, 0.f, 0.f, 0.f), c4 = b4;
      if constexpr (NS == 1) {
        if (VARB) b4 = *reinterpret_cast<const float4*>(Bk + t4);
        if (VARC && !LOCAL) c4 = *reinterpret_cast<const float4*>(Ck + t4);
      }
      float y4[4];
#pragma unroll
      for (int s = 0; s < 4; ++s) {
        const float dt = f4_at(dt4, s), du = dt * f4_at(u4, s);
        float b[NS], c[NS];
        if (VARB) load_slice(Bk, b4, t4, s, b);
        if (LOCAL) sum_dt += dt;
#pragma unroll
        for (int j = 0; j < NS; ++j) h[j] = fmaf(fast_exp2(dt * sp.ar[j]), h[j], du * (VARB ? b[j] : sp.br[j]));
        if (!LOCAL) {
          if (VARC) load_slice(Ck, c4, t4, s, c);
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
    // Epilogue by runs of EW steps of one channel row: y summed over the S <= 16 slices in
    // order, D and the gate applied, one vector store. Quads (a warp covers 4 rows' 128-byte runs); pairs with one state per
    // thread, whose blocks have twice as many threads as quads: every warp takes a share
    // instead of half of them waiting at the next barrier (perf-notes v3.7).
    constexpr int EW = NS == 1 ? 2 : 4, RUNS = T / EW;
    const int64_t row0 = (p.b * a.dim + p.g * a.dpg + p.cb * CB) * a.L + t0;
    for (int q = threadIdx.x; q < CB * RUNS; q += blockDim.x) {
      const int r = q / RUNS, s0 = (q % RUNS) * EW;
      const int64_t n = t_end - (t0 + s0);
      if (p.cb * CB + r >= a.dpg || n <= 0) continue;
      float y[EW], v[EW];
      load_run<EW>(s_y + r * RS + s0, y);
      auto add_slice = [&](int kk) {
        load_run<EW>(s_y + (kk * CB + r) * RS + s0, v);
#pragma unroll
        for (int e = 0; e < EW; ++e) y[e] += v[e];
      };
      if constexpr (NS == 1) {
        // S = npad <= 16, usually 16: unrolled and predicated (not an early exit, so both
        // compilers unroll it), the 15 loads go out together (perf-notes v3.7: 12.7 -> 11.9 us)
#pragma unroll
        for (int kk = 1; kk < 16; ++kk)
          if (kk < S) add_slice(kk);
      } else {
        // S = npad / 4 warps, often 4: a plain loop (16 predicated steps cost the long
        // sequences ~5 %)
        for (int kk = 1; kk < S; ++kk) add_slice(kk);
      }
      if (a.D) {
        const float Dc = s_D[r];
        load_run<EW>(s_u + r * RS + s0, v);
#pragma unroll
        for (int e = 0; e < EW; ++e) y[e] += Dc * v[e];
      }
      if (a.z) {
        load_run<EW>(s_z + r * RS + s0, v);
#pragma unroll
        for (int e = 0; e < EW; ++e) y[e] *= silu_fast(v[e]);
      }
      if constexpr (EW == 4) store_quad<DT>(a.out, row0 + r * a.L + s0, make_float4(y[0], y[1], y[2], y[3]), n, a.vec4);
      else store_pair<DT>(a.out, row0 + r * a.L + s0, y[0], y[1], n, a.vec4);
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
