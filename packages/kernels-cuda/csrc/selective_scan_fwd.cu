// Selective scan forward (DESIGN.md): h_t = exp(dt_t A) h_{t-1} + dt_t B_t u_t, y_t = C_t h_t,
// out = (y + D u) * silu(z). Lab, CPU twin and checks: ../dev/scan_lab.cu (forward version 1
// there is this kernel).
//
// Design (the why; numbers in docs/perf-notes.md):
// - Sequential recurrence per thread: one exp and ~4 FMA per state update, the cheapest
//   arithmetic; the NS states a thread owns are independent chains (ILP).
// - Block = kWarpSize channels (lanes) x K warps (state slices of NS). u/dt/B/C tiles of kTile
//   steps are staged through shared memory with coalesced rows; B_t/C_t are read once per block
//   and broadcast to its channels; dt (bias + softplus) is computed once per element at staging.
// - y is summed over the K state slices through shared memory, then the epilogue (D, gate,
//   store) walks the tile row-wise so stores are coalesced.
// - Long sequences with few channels: time is cut into chunks that run in parallel. Pass 1
//   (LOCAL) scans each chunk from h = 0; a carry pass chains the chunk end states with the
//   chunk decay exp(A * sum dt); pass 2 (FINAL) rescans each chunk from its true start state.
// - FINAL saves h every kSegLen steps (the checkpoints backward restarts from).
#include "scan_internal.h"

namespace sscan {
namespace detail {

template <int NS, bool CPLX, bool VARB, bool VARC, bool LOCAL>
__global__ void __launch_bounds__(512) selective_scan_fwd_kernel1(KArgs a) {
  constexpr int CW = CPLX ? 2 : 1;
  SSCAN_DYNAMIC_SMEM(smem);
  const int lane = threadIdx.x % kWarpSize, k = threadIdx.x / kWarpSize, K = blockDim.x / kWarpSize;
  const int stride = bc_stride(a.npad, CW);
  float* s_u = smem;
  float* s_dt = s_u + kWarpSize * (kTile + 1);
  float* s_B = s_dt + kWarpSize * (kTile + 1);
  float* s_C = s_B + kTile * stride;
  float* s_y = s_C + kTile * stride;  // [K][kWarpSize][kTile+1]
  float* s_z = s_y + K * kWarpSize * (kTile + 1);
  const bool gate = !LOCAL && a.write_out && a.z;

  const BlockPos p = block_pos(a);
  const int64_t cl = p.cb * kWarpSize + lane;
  const bool active = cl < a.dpg;
  const int64_t d = p.g * a.dpg + (active ? cl : a.dpg - 1);  // clamped: reads stay in bounds
  const int n0 = k * NS;
  StateParams<NS, CPLX> sp;
  load_state_params<NS, CPLX, VARB, VARC>(a, d, n0, sp);

  const int64_t t_begin = p.chunk * a.chunk_segs * kSegLen;
  const int64_t t_end = min(a.L, t_begin + a.chunk_segs * kSegLen);
  const int64_t bd = p.b * a.dim + d;

  float hr[NS], hi[NS];
#pragma unroll
  for (int j = 0; j < NS; ++j) {
    hr[j] = hi[j] = 0.f;
    if (!LOCAL) {
      const int n = n0 + j;
      if (a.nchunk > 1) {  // start state from the carry pass
        const float* src = a.ck + (bd * a.nseg + t_begin / kSegLen) * a.npad * CW + n * CW;
        hr[j] = src[0];
        if (CPLX) hi[j] = src[1];
      } else if (a.init && n < a.N) {
        hr[j] = a.init[(bd * a.N + n) * CW];
        if (CPLX) hi[j] = a.init[(bd * a.N + n) * CW + 1];
      }
    }
  }
  float sum_dt = 0.f;

  // The next tile's rows in registers (first staging batch): fetched before the current tile
  // is computed, so their loads are in flight meanwhile (scan_stage.cuh).
  RawRows nu, ndl, nz, nbr, nbi, ncr, nci;
  const int chan_batches = stage_batches(kWarpSize, K), bc_batches = stage_batches(a.npad, K);
  auto fetch_tile = [&](int64_t t0) {
    fetch_chan(nu, a.u, a, p, t0, t_end, 0);
    fetch_chan(ndl, a.delta, a, p, t0, t_end, 0);
    if (gate) fetch_chan(nz, a.z, a, p, t0, t_end, 0);
    if (VARB) fetch_bc<CPLX>(nbr, nbi, a.B, a, p, t0, t_end, 0);
    if (VARC && !LOCAL) fetch_bc<CPLX>(ncr, nci, a.C, a, p, t0, t_end, 0);
  };
  auto put_tile = [&](int64_t t0) {
    put_u_dt(nu, ndl, a, p, t0, t_end, 0, s_u, s_dt);
    if (gate) put_chan(nz, a, 0, s_z);
    if (VARB) put_bc<CPLX>(nbr, nbi, a, 0, s_B);
    if (VARC && !LOCAL) put_bc<CPLX>(ncr, nci, a, 0, s_C);
    for (int b = 1; b < chan_batches; ++b) {  // blocks of fewer than 4 warps: the rest now
      fetch_chan(nu, a.u, a, p, t0, t_end, b);
      fetch_chan(ndl, a.delta, a, p, t0, t_end, b);
      if (gate) fetch_chan(nz, a.z, a, p, t0, t_end, b);
      put_u_dt(nu, ndl, a, p, t0, t_end, b, s_u, s_dt);
      if (gate) put_chan(nz, a, b, s_z);
    }
    for (int b = 1; b < bc_batches; ++b) {
      if (VARB) {
        fetch_bc<CPLX>(nbr, nbi, a.B, a, p, t0, t_end, b);
        put_bc<CPLX>(nbr, nbi, a, b, s_B);
      }
      if (VARC && !LOCAL) {
        fetch_bc<CPLX>(ncr, nci, a.C, a, p, t0, t_end, b);
        put_bc<CPLX>(ncr, nci, a, b, s_C);
      }
    }
  };
  if (t_begin < t_end) fetch_tile(t_begin);

  for (int64_t t0 = t_begin; t0 < t_end; t0 += kTile) {
    if (!LOCAL && a.ck && t0 % kSegLen == 0 && active) {
      float* dst = a.ck + (bd * a.nseg + t0 / kSegLen) * a.npad * CW + n0 * CW;
#pragma unroll
      for (int j = 0; j < NS; ++j) {
        dst[j * CW] = hr[j];
        if (CPLX) dst[j * CW + 1] = hi[j];
      }
    }
    __syncthreads();  // previous tile fully consumed
    put_tile(t0);
    __syncthreads();
    if (t0 + kTile < t_end) fetch_tile(t0 + kTile);
    const int tlen = int(t_end - t0 < kTile ? t_end - t0 : kTile);
    const float* u_row = s_u + lane * (kTile + 1);
    const float* dt_row = s_dt + lane * (kTile + 1);
    if (LOCAL) {
      advance<NS, CPLX, VARB>(hr, hi, sp, u_row, dt_row, s_B, stride, n0, 0, tlen);
      for (int t = 0; t < tlen; ++t) sum_dt += dt_row[t];
      continue;
    }
    float* y_row = s_y + (k * kWarpSize + lane) * (kTile + 1);
#pragma unroll 2
    for (int t = 0; t < tlen; ++t) {
      const float dt = dt_row[t], du = dt * u_row[t];
      float y = 0.f;
#pragma unroll
      for (int j = 0; j < NS; ++j) {
        const int n = n0 + j;
        if (CPLX) {
          const float br = VARB ? s_B[t * stride + 2 * n] : sp.br[j];
          const float bi = VARB ? s_B[t * stride + 2 * n + 1] : sp.bi[j];
          const float cr = VARC ? s_C[t * stride + 2 * n] : sp.cr[j];
          const float ci = VARC ? s_C[t * stride + 2 * n + 1] : sp.ci[j];
          Complex<float> h = scan_step(decay_complex(dt, sp.ar[j], sp.ai[j]),
                                       Complex<float>{hr[j], hi[j]}, Complex<float>{du * br, du * bi});
          hr[j] = h.re;
          hi[j] = h.im;
          y += 2.f * (cr * h.re - ci * h.im);  // 2 Re(C h), no conjugate (DESIGN.md)
        } else {
          const float b = VARB ? s_B[t * stride + n] : sp.br[j];
          const float c = VARC ? s_C[t * stride + n] : sp.cr[j];
          hr[j] = scan_step(decay_real(dt, sp.ar[j]), hr[j], du * b);
          y += c * hr[j];
        }
      }
      y_row[t] = y;
    }
    if (!a.write_out) continue;
    __syncthreads();
    // Epilogue, row-wise over the tile: coalesced loads of z and stores of out.
    for (int e = threadIdx.x; e < kWarpSize * kTile; e += blockDim.x) {
      const int c = e / kTile, t = e % kTile;
      const int64_t ccl = p.cb * kWarpSize + c;
      if (ccl >= a.dpg || t >= tlen) continue;
      const int64_t dd = p.g * a.dpg + ccl;
      float y = 0.f;
      for (int kk = 0; kk < K; ++kk) y += s_y[(kk * kWarpSize + c) * (kTile + 1) + t];
      const int64_t idx = (p.b * a.dim + dd) * a.L + t0 + t;
      float o = y;
      if (a.D) o += a.D[dd] * s_u[c * (kTile + 1) + t];
      if (a.z) o *= silu(s_z[c * (kTile + 1) + t]);
      st(a.out, idx, o, a.dtype);
    }
  }

  if (!active) return;
  if (LOCAL) {
    // Local end state of this chunk goes to the checkpoint slot of the next chunk's start;
    // the carry pass turns it into the true state in place.
    float* dst = a.ck + (bd * a.nseg + t_end / kSegLen) * a.npad * CW + n0 * CW;
#pragma unroll
    for (int j = 0; j < NS; ++j) {
      dst[j * CW] = hr[j];
      if (CPLX) dst[j * CW + 1] = hi[j];
    }
    if (k == 0) a.sdt[bd * a.nchunk + p.chunk] = sum_dt;
  } else if (a.last_state && t_end == a.L) {
#pragma unroll
    for (int j = 0; j < NS; ++j) {
      const int n = n0 + j;
      if (n < a.N) {
        a.last_state[(bd * a.N + n) * CW] = hr[j];
        if (CPLX) a.last_state[(bd * a.N + n) * CW + 1] = hi[j];
      }
    }
  }
}

// Carry pass: one thread per (b, d, n) walks the chunks in order, H_c = exp(A sum dt_c) H_{c-1}
// + S_c, overwriting each local end state S_c in place by the true chunk start state.
template <bool CPLX>
__global__ void selective_scan_fwd_carry_kernel(KArgs a) {
  constexpr int CW = CPLX ? 2 : 1;
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t total = a.batch * a.dim * a.npad;
  if (i >= total) return;
  const int n = int(i % a.npad);
  const int64_t bd = i / a.npad, d = bd % a.dim;
  const bool ok = n < a.N;
  float ar = ok ? a.A[(d * a.N + n) * CW] * kLog2e : 0.f;
  float ai = (CPLX && ok) ? a.A[(d * a.N + n) * CW + 1] : 0.f;
  float hr = 0.f, hi = 0.f;
  if (a.init && ok) {
    hr = a.init[(bd * a.N + n) * CW];
    if (CPLX) hi = a.init[(bd * a.N + n) * CW + 1];
  }
  for (int64_t c = 0; c < a.nchunk; ++c) {
    float* slot = a.ck + (bd * a.nseg + c * a.chunk_segs) * a.npad * CW + n * CW;
    float sr = 0.f, si = 0.f;
    if (c + 1 < a.nchunk) {
      const float* next = a.ck + (bd * a.nseg + (c + 1) * a.chunk_segs) * a.npad * CW + n * CW;
      sr = next[0];
      if (CPLX) si = next[1];
    }
    slot[0] = hr;
    if (CPLX) slot[1] = hi;
    if (c + 1 == a.nchunk) break;
    const float S = a.sdt[bd * a.nchunk + c];
    if (CPLX) {
      Complex<float> h = scan_step(decay_complex(S, ar, ai), Complex<float>{hr, hi}, Complex<float>{sr, si});
      hr = h.re;
      hi = h.im;
    } else {
      hr = scan_step(decay_real(S, ar), hr, sr);
    }
  }
}

sscanError_t launch_fwd_carry(const KArgs& a, const Plan& pl, bool is_complex, sscanStream_t stream) {
  const int64_t total = a.batch * a.dim * pl.npad;
  if (is_complex) {
    SSCAN_LAUNCH(selective_scan_fwd_carry_kernel<true>, dim3(unsigned(ceil_div(total, 256))), 256, 0, stream, a);
  } else {
    SSCAN_LAUNCH(selective_scan_fwd_carry_kernel<false>, dim3(unsigned(ceil_div(total, 256))), 256, 0, stream, a);
  }
  return sscanGetLastError();
}

size_t fwd_smem_bytes(const Plan& pl) {
  const int stride = bc_stride(pl.npad, pl.cw);
  return sizeof(float) * ((3 + pl.k) * pl.warp * (pl.tile + 1) + 2 * pl.tile * stride);
}

template <int NS, bool CPLX, bool VARB, bool VARC, bool LOCAL>
sscanError_t launch_fwd_pass(const KArgs& a, const Plan& pl, sscanStream_t stream) {
  auto kern = selective_scan_fwd_kernel1<NS, CPLX, VARB, VARC, LOCAL>;
  const size_t smem = fwd_smem_bytes(pl);
  sscanError_t e = check_launch(pl, "selective_scan_fwd", "forward", smem, pl.k * pl.warp, kMaxBlockThreads);
  if (e != sscanSuccess) return e;
  if ((e = allow_dynamic_smem<selective_scan_fwd_kernel1<NS, CPLX, VARB, VARC, LOCAL>>(smem, pl)) != sscanSuccess) return e;
  const int64_t blocks = a.batch * a.groups * a.nchunk_launch * a.ncb;
  SSCAN_LAUNCH(kern, dim3(unsigned(blocks)), dim3(pl.k * pl.warp), smem, stream, a);
  return sscanGetLastError();
}

template <int NS, bool CPLX, bool VARB, bool VARC>
sscanError_t run_fwd(KArgs a, const Plan& pl, sscanStream_t stream) {
  sscanError_t e;
  if (a.nchunk > 1) {
    a.chunk_base = 0;
    a.nchunk_launch = a.nchunk - 1;
    if ((e = launch_fwd_pass<NS, CPLX, VARB, VARC, true>(a, pl, stream)) != sscanSuccess) return e;
    if ((e = launch_fwd_carry(a, pl, CPLX, stream)) != sscanSuccess) return e;
  }
  a.chunk_base = 0;
  a.nchunk_launch = a.nchunk;
  return launch_fwd_pass<NS, CPLX, VARB, VARC, false>(a, pl, stream);
}

template <int NS, bool CPLX>
sscanError_t dispatch_fwd_bc(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t s) {
  if (vb && vc) return run_fwd<NS, CPLX, true, true>(a, pl, s);
  if (vb) return run_fwd<NS, CPLX, true, false>(a, pl, s);
  if (vc) return run_fwd<NS, CPLX, false, true>(a, pl, s);
  return run_fwd<NS, CPLX, false, false>(a, pl, s);
}

bool quad_aligned(const void* ptr, DType dtype) {
  const uintptr_t bytes = dtype == DType::Float32 ? 16 : 8;
  return reinterpret_cast<uintptr_t>(ptr) % bytes == 0;  // null (absent) passes
}

KArgs make_kargs(const ScanFwdParams& p, const Plan& pl) {
  KArgs a{};
  a.batch = p.shape.batch;
  a.dim = p.shape.dim;
  a.L = p.shape.seqlen;
  a.N = p.shape.dstate;
  a.groups = (p.variable_B || p.variable_C) ? p.shape.groups : 1;
  a.dpg = a.dim / a.groups;
  a.ncb = ceil_div(a.dpg, pl.warp);
  a.nseg = pl.nseg;
  a.npad = pl.npad;
  a.dtype = int(p.dtype);
  a.softplus = p.delta_softplus;
  a.u = p.u;
  a.delta = p.delta;
  a.z = p.z;
  a.B = p.B;
  a.C = p.C;
  a.A = p.A;
  a.D = p.D;
  a.bias = p.delta_bias;
  a.init = p.initial_state;
  a.out = p.out;
  a.last_state = p.last_state;
  a.write_out = true;
  a.vec4 = p.shape.seqlen % 4 == 0 && quad_aligned(p.u, p.dtype) && quad_aligned(p.delta, p.dtype) &&
           quad_aligned(p.z, p.dtype) && quad_aligned(p.out, p.dtype) &&
           (!p.variable_B || p.is_complex || quad_aligned(p.B, p.dtype)) &&
           (!p.variable_C || p.is_complex || quad_aligned(p.C, p.dtype));
  return a;
}

// Runs the forward; ck/sdt (checkpoints, carry scratch) may be null only when nchunk == 1.
sscanError_t fwd_impl(const ScanFwdParams& p, const Plan& pl, float* ck, float* sdt, bool write_out,
                      sscanStream_t stream) {
  KArgs a = make_kargs(p, pl);
  a.ck = ck;
  a.sdt = sdt;
  a.nchunk = pl.nchunk;
  a.chunk_segs = pl.chunk_segs;
  a.write_out = write_out;
  if (ck == nullptr) {  // no place for carries: one chunk over the whole sequence
    a.nchunk = 1;
    a.chunk_segs = pl.nseg;
  }
  const bool vb = p.variable_B, vc = p.variable_C;
  if (use_fwd_real(pl, p.is_complex)) return fwd_real(a, pl, vb, vc, stream);
  if (pl.ns == 4) {
    return p.is_complex ? dispatch_fwd_bc<4, true>(a, pl, vb, vc, stream)
                        : dispatch_fwd_bc<4, false>(a, pl, vb, vc, stream);
  }
  return p.is_complex ? dispatch_fwd_bc<16, true>(a, pl, vb, vc, stream)
                      : dispatch_fwd_bc<16, false>(a, pl, vb, vc, stream);
}

}  // namespace detail

size_t selective_scan_saved_bytes(const ScanFwdParams& p) {
  const detail::Plan pl = detail::make_plan(p.shape, p.is_complex, true, detail::device_limits_or_default());
  return detail::saved_bytes(p.shape, pl);
}

sscanError_t selective_scan_fwd(const ScanFwdParams& p, sscanStream_t stream) {
  detail::clear_error_detail();
  detail::DeviceLimits lim;
  const sscanError_t e = detail::device_limits(&lim);
  if (e != sscanSuccess) return e;
  const detail::Plan pl = detail::make_plan(p.shape, p.is_complex, p.saved != nullptr, lim);
  float* ck = static_cast<float*>(p.saved);
  float* sdt = ck ? ck + detail::align256(detail::ck_floats(p.shape, pl) * 4) / 4 : nullptr;
  return detail::fwd_impl(p, pl, ck, sdt, true, stream);
}

}  // namespace sscan
