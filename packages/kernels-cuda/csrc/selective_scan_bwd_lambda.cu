// Backward helpers: the adjoint carries between time chunks, and the fixed-order reduction
// of per-block partial gradients.
//
// The adjoint runs backwards, lambda_t = g_t + conj(a_{t+1}) lambda_{t+1} with g_t = C_t dy_t
// (complex: 2 dy_t conj(C_t)). To let backward chunks run in parallel, each chunk bc >= 1
// first scans its own steps from lambda = 0 (local contribution Lambda_bc = conj(a_s) lambda_s
// at its first step s), then one thread per (b, d, n) chains them from the last chunk:
// Lambda_bc = local_bc + conj(exp(A sum dt_bc)) Lambda_{bc+1}, Lambda_nbc = grad_last_state.
// The main kernel then starts chunk bc from lam[bc] = Lambda_{bc+1}.
#include "scan_internal.h"

namespace sscan {
namespace detail {

template <int NS, bool CPLX, bool VARC>
__global__ void __launch_bounds__(512) selective_scan_bwd_lambda_local_kernel(KArgs a) {
  constexpr int CW = CPLX ? 2 : 1;
  SSCAN_DYNAMIC_SMEM(smem);
  const int lane = threadIdx.x % kWarpSize, k = threadIdx.x / kWarpSize;
  const int stride = bc_stride(a.npad, CW);
  float* s_u = smem;
  float* s_dt = s_u + kWarpSize * (kTile + 1);
  float* s_dy = s_dt + kWarpSize * (kTile + 1);
  float* s_C = s_dy + kWarpSize * (kTile + 1);
  const BlockPos p = block_pos(a);
  const int64_t cl = p.cb * kWarpSize + lane;
  const bool active = cl < a.dpg;
  const int64_t d = p.g * a.dpg + (active ? cl : a.dpg - 1);
  const int64_t bd = p.b * a.dim + d;
  const int n0 = k * NS;
  StateParams<NS, CPLX> sp;
  load_state_params<NS, CPLX, false, VARC>(a, d, n0, sp);
  const int64_t t_begin = p.chunk * a.chunk_segs * kSegLen;
  const int64_t t_end = min(a.L, t_begin + a.chunk_segs * kSegLen);
  float lr[NS], li[NS], sum_dt = 0.f;
#pragma unroll
  for (int j = 0; j < NS; ++j) lr[j] = li[j] = 0.f;
  const int64_t ntiles = (t_end - t_begin + kTile - 1) / kTile;
  for (int64_t q = ntiles - 1; q >= 0; --q) {
    const int64_t t0 = t_begin + q * kTile;
    __syncthreads();
    stage_tile<CPLX, true, false, VARC>(a, p, t0, t_end, s_u, s_dt, s_dy, nullptr, nullptr, nullptr, s_C);
    __syncthreads();
    const int tlen = int(t_end - t0 < kTile ? t_end - t0 : kTile);
    for (int t = tlen - 1; t >= 0; --t) {
      const float dt = s_dt[lane * (kTile + 1) + t], dy = s_dy[lane * (kTile + 1) + t];
      sum_dt += dt;
#pragma unroll
      for (int j = 0; j < NS; ++j) {
        const int n = n0 + j;
        if (CPLX) {
          const float cr = VARC ? s_C[t * stride + 2 * n] : sp.cr[j];
          const float ci = VARC ? s_C[t * stride + 2 * n + 1] : sp.ci[j];
          const Complex<float> lam{2.f * dy * cr + lr[j], -2.f * dy * ci + li[j]};
          const Complex<float> c = cmul(conj(decay_complex(dt, sp.ar[j], sp.ai[j])), lam);
          lr[j] = c.re;
          li[j] = c.im;
        } else {
          const float c = VARC ? s_C[t * stride + n] : sp.cr[j];
          lr[j] = decay_real(dt, sp.ar[j]) * (dy * c + lr[j]);
        }
      }
    }
  }
  if (!active) return;
  float* dst = a.lam + (bd * a.nchunk + p.chunk - 1) * a.npad * CW + n0 * CW;
#pragma unroll
  for (int j = 0; j < NS; ++j) {
    dst[j * CW] = lr[j];
    if (CPLX) dst[j * CW + 1] = li[j];
  }
  if (k == 0) a.bsdt[bd * a.nchunk + p.chunk] = sum_dt;
}

template <bool CPLX>
__global__ void selective_scan_bwd_lambda_carry_kernel(KArgs a) {
  constexpr int CW = CPLX ? 2 : 1;
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= a.batch * a.dim * a.npad) return;
  const int n = int(i % a.npad);
  const int64_t bd = i / a.npad, d = bd % a.dim;
  const bool ok = n < a.N;
  const float ar = ok ? a.A[(d * a.N + n) * CW] * kLog2e : 0.f;
  const float ai = (CPLX && ok) ? a.A[(d * a.N + n) * CW + 1] : 0.f;
  float lr = 0.f, li = 0.f;
  if (a.grad_last && ok) {
    lr = a.grad_last[(bd * a.N + n) * CW];
    if (CPLX) li = a.grad_last[(bd * a.N + n) * CW + 1];
  }
  for (int64_t bc = a.nchunk - 1; bc >= 0; --bc) {
    float* slot = a.lam + (bd * a.nchunk + bc) * a.npad * CW + n * CW;
    float sr = 0.f, si = 0.f;
    if (bc >= 1) {
      const float* loc = a.lam + (bd * a.nchunk + bc - 1) * a.npad * CW + n * CW;
      sr = loc[0];
      if (CPLX) si = loc[1];
    }
    slot[0] = lr;
    if (CPLX) slot[1] = li;
    if (bc == 0) break;
    const float S = a.bsdt[bd * a.nchunk + bc];
    if (CPLX) {
      const Complex<float> c = cmul(conj(decay_complex(S, ar, ai)), Complex<float>{lr, li});
      lr = c.re + sr;
      li = c.im + si;
    } else {
      lr = decay_real(S, ar) * lr + sr;
    }
  }
}

template <int NS, bool CPLX, bool VARC>
sscanError_t launch_lambda_t(KArgs a, const Plan& pl, sscanStream_t stream) {
  const int stride = bc_stride(pl.npad, pl.cw);
  const size_t smem = sizeof(float) * (3 * pl.warp * (pl.tile + 1) + pl.tile * stride);
  auto kern = selective_scan_bwd_lambda_local_kernel<NS, CPLX, VARC>;
  sscanError_t e = check_launch(pl, "selective_scan_bwd", "backward lambda", smem, pl.k * pl.warp, kMaxBlockThreads);
  if (e != sscanSuccess) return e;
  if ((e = allow_dynamic_smem<selective_scan_bwd_lambda_local_kernel<NS, CPLX, VARC>>(smem, pl)) != sscanSuccess) return e;
  a.chunk_base = 1;
  a.nchunk_launch = a.nchunk - 1;
  const int64_t blocks = a.batch * a.groups * a.nchunk_launch * a.ncb;
  SSCAN_LAUNCH(kern, dim3(unsigned(blocks)), dim3(pl.k * pl.warp), smem, stream, a);
  e = sscanGetLastError();
  if (e != sscanSuccess) return e;
  const int64_t total = a.batch * a.dim * pl.npad;
  SSCAN_LAUNCH(selective_scan_bwd_lambda_carry_kernel<CPLX>, dim3(unsigned(ceil_div(total, 256))), 256, 0, stream, a);
  return sscanGetLastError();
}

sscanError_t launch_bwd_lambda(const KArgs& a, const Plan& pl, bool cplx, bool vc, sscanStream_t s) {
  if (pl.ns == 4) {
    if (cplx) return vc ? launch_lambda_t<4, true, true>(a, pl, s) : launch_lambda_t<4, true, false>(a, pl, s);
    return vc ? launch_lambda_t<4, false, true>(a, pl, s) : launch_lambda_t<4, false, false>(a, pl, s);
  }
  if (cplx) return vc ? launch_lambda_t<16, true, true>(a, pl, s) : launch_lambda_t<16, true, false>(a, pl, s);
  return vc ? launch_lambda_t<16, false, true>(a, pl, s) : launch_lambda_t<16, false, false>(a, pl, s);
}

__global__ void reduce_partials_kernel(const float* part, int64_t P, int64_t n, void* out, int out_dtype) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    float s = 0.f;
    for (int64_t q = 0; q < P; ++q) s += part[q * n + i];
    if (out_dtype < 0) static_cast<float*>(out)[i] = s;
    else st(out, i, s, out_dtype);
  }
}

sscanError_t launch_reduce_partials(const float* part, int64_t P, int64_t n, void* out, int out_dtype,
                                    sscanStream_t stream) {
  if (n <= 0) return sscanSuccess;
  const int64_t blocks = std::min<int64_t>(ceil_div(n, 256), 132 * 16);
  SSCAN_LAUNCH(reduce_partials_kernel, dim3(unsigned(blocks)), 256, 0, stream, part, P, n, out, out_dtype);
  return sscanGetLastError();
}

}  // namespace detail
}  // namespace sscan
