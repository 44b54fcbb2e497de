// Selective scan backward: gradients of u, delta, A, B, C, D, z, delta_bias, initial_state,
// given dout and grad_last_state. Lab and CPU twin: ../dev/scan_lab.cu (backward version 1).
//
// Design (the why; numbers in docs/perf-notes.md):
// - Same block layout as forward: lane = channel, warp = slice of NS states.
// - The adjoint runs backwards and needs h_{t-1}; h is never walked backwards (dividing by the
//   decay is unsafe: decays underflow). Forward saved h every kSegLen steps. Per segment the
//   kernel (1) sweeps forward keeping h at each tile start in registers, then per tile in
//   reverse (2) per sub-tile of TR steps recomputes h from the tile start, keeping the TR
//   states and decays in registers, and (3) runs the adjoint back over those TR steps.
//   Memory stays linear in seqlen; the price is ~3 exps per state update instead of 1.
// - TR is chosen so a warp holds exactly kWarpSize dB (and dC) values per sub-tile: one
//   transposed warp reduction sums them over the block's channels with kWarpSize-1 shuffles.
// - Every sum across blocks (dB/dC over channel blocks, dA/dD/dbias/constant dB,dC over batch
//   and time chunks) goes through per-block partials reduced in a fixed order afterwards: the
//   result is bitwise reproducible, and no float atomics are used.
// - Time chunks run in parallel when channels are few: lambda carries between chunks come from
//   selective_scan_bwd_lambda.cu.
#include "scan_internal.h"

namespace sscan {
namespace detail {

constexpr float kLn2 = 0.6931471805599453f;

// MAXT: the block size bound. 128 for dstate <= 16 (4 warps); real kernels there are held to
// 168 registers so three blocks share an SM (v2: more warps to hide latency, at the price of a
// few hundred bytes of spills), complex ones may use 255. Larger dstate runs 512-thread blocks
// (<= 128 registers).
template <int NS, int MAXT, bool CPLX, bool VARB, bool VARC>
__global__ void __launch_bounds__(MAXT, (MAXT <= 128 && !CPLX) ? 3 : 1) selective_scan_bwd_kernel1(KArgs a) {
  constexpr int CW = CPLX ? 2 : 1;
  constexpr int TR = kWarpSize / (NS * CW);  // sub-tile steps
  constexpr int V = NS * CW * TR;            // == kWarpSize values per lane per sub-tile
  static_assert(V == kWarpSize, "sub-tile must give one value per lane");
  constexpr int NSUB = kTile / TR;                  // sub-tiles per tile
  constexpr bool SUBCK = NS * CW * NSUB <= 32;      // their start states fit in registers
  constexpr int RS = kTile + 1;              // staged row stride
  SSCAN_DYNAMIC_SMEM(smem);
  const int lane = threadIdx.x % kWarpSize, k = threadIdx.x / kWarpSize, K = blockDim.x / kWarpSize;
  const int stride = bc_stride(a.npad, CW);
  float* s_u = smem;
  float* s_dt = s_u + kWarpSize * RS;
  float* s_dy = s_dt + kWarpSize * RS;
  float* s_dout = s_dy + kWarpSize * RS;
  float* s_z = s_dout + kWarpSize * RS;
  float* s_tdu = s_z + kWarpSize * RS;    // per tile, summed over state slices
  float* s_tddt = s_tdu + kWarpSize * RS;
  float* s_ty = s_tddt + kWarpSize * RS;
  float* s_B = s_ty + kWarpSize * RS;
  float* s_C = s_B + kTile * stride;
  float* s_part = s_C + kTile * stride;    // [3][K][kWarpSize][TR+1] per sub-tile partials
  float* s_chan = s_part + 3 * K * kWarpSize * (TR + 1);  // [2][kWarpSize]: dD, dbias sums

  const BlockPos p = block_pos(a);
  const int64_t cl = p.cb * kWarpSize + lane;
  const bool active = cl < a.dpg;
  const int64_t d = p.g * a.dpg + (active ? cl : a.dpg - 1);
  const int64_t bd = p.b * a.dim + d;
  const int n0 = k * NS;
  StateParams<NS, CPLX> sp;
  load_state_params<NS, CPLX, VARB, VARC>(a, d, n0, sp);
  for (int i = threadIdx.x; i < 2 * kWarpSize; i += blockDim.x) s_chan[i] = 0.f;

  // lambda carry entering this chunk from the right (conj(a_{t+1}) lambda_{t+1}).
  float lr[NS], li[NS];
  float gAr[NS], gAi[NS], gBr[NS], gBi[NS], gCr[NS], gCi[NS];  // dA, constant dB, dC
#pragma unroll
  for (int j = 0; j < NS; ++j) {
    lr[j] = li[j] = gAr[j] = gAi[j] = gBr[j] = gBi[j] = gCr[j] = gCi[j] = 0.f;
    const int n = n0 + j;
    if (p.chunk + 1 < a.nchunk) {
      const float* src = a.lam + (bd * a.nchunk + p.chunk) * a.npad * CW + n * CW;
      lr[j] = src[0];
      if (CPLX) li[j] = src[1];
    } else if (a.grad_last && n < a.N) {
      lr[j] = a.grad_last[(bd * a.N + n) * CW];
      if (CPLX) li[j] = a.grad_last[(bd * a.N + n) * CW + 1];
    }
  }

  const int64_t s_first = p.chunk * a.chunk_segs;
  const int64_t s_last = min(a.nseg, s_first + a.chunk_segs) - 1;
  const float* u_row = s_u + lane * RS;
  const float* dt_row = s_dt + lane * RS;
  const float* dy_row = s_dy + lane * RS;

  for (int64_t s = s_last; s >= s_first; --s) {
    const int64_t ts = s * kSegLen, te = min(a.L, ts + kSegLen);
    float hqr[kSegTiles][NS], hqi[kSegTiles][NS];
    {
      float hr[NS], hi[NS];
      const float* src = a.ck + (bd * a.nseg + s) * a.npad * CW + n0 * CW;
#pragma unroll
      for (int j = 0; j < NS; ++j) {
        hr[j] = src[j * CW];
        hi[j] = CPLX ? src[j * CW + 1] : 0.f;
      }
      // (1) sweep: h at the start of every tile of the segment
#pragma unroll
      for (int q = 0; q < kSegTiles; ++q) {
#pragma unroll
        for (int j = 0; j < NS; ++j) {
          hqr[q][j] = hr[j];
          hqi[q][j] = hi[j];
        }
        const int64_t t0 = ts + q * kTile;
        if (q == kSegTiles - 1 || t0 >= te) break;  // last tile's end state is not needed
        __syncthreads();
        stage_tile<CPLX, false, VARB, false>(a, p, t0, te, s_u, s_dt, nullptr, nullptr, nullptr, s_B, nullptr);
        __syncthreads();
        advance<NS, CPLX, VARB>(hr, hi, sp, u_row, dt_row, s_B, stride, n0, 0, kTile);
      }
    }
#pragma unroll
    for (int q = kSegTiles - 1; q >= 0; --q) {
      const int64_t t0 = ts + q * kTile;
      if (t0 >= te) continue;
      const int tlen = int(te - t0 < kTile ? te - t0 : kTile);
      __syncthreads();
      stage_tile<CPLX, true, VARB, VARC>(a, p, t0, te, s_u, s_dt, s_dy, s_dout, s_z, s_B, s_C);
      __syncthreads();
      // Sub-tile start states: kept in registers when they fit (one pass over the tile), else
      // each sub-tile re-advances from the tile start (NS=16 / complex: rare shapes).
      float scr[SUBCK ? NSUB : 1][NS], sci[SUBCK ? NSUB : 1][NS];
      if constexpr (SUBCK) {
        float hr[NS], hi[NS];
#pragma unroll
        for (int j = 0; j < NS; ++j) {
          hr[j] = hqr[q][j];
          hi[j] = hqi[q][j];
        }
#pragma unroll
        for (int r = 0; r < NSUB; ++r) {
#pragma unroll
          for (int j = 0; j < NS; ++j) {
            scr[r][j] = hr[j];
            sci[r][j] = hi[j];
          }
          if (r + 1 < NSUB) advance<NS, CPLX, VARB>(hr, hi, sp, u_row, dt_row, s_B, stride, n0, r * TR, r * TR + TR);
        }
      }
      auto sub_tile = [&](const int r) {
        const int r0 = r * TR;
        if (r0 >= tlen) return;
        // (2) recompute h over [r0, r0+TR)
        float hr[NS], hi[NS];
        if constexpr (SUBCK) {
#pragma unroll
          for (int j = 0; j < NS; ++j) {
            hr[j] = scr[SUBCK ? r : 0][j];
            hi[j] = sci[SUBCK ? r : 0][j];
          }
        } else {
#pragma unroll
          for (int j = 0; j < NS; ++j) {
            hr[j] = hqr[q][j];
            hi[j] = hqi[q][j];
          }
          advance<NS, CPLX, VARB>(hr, hi, sp, u_row, dt_row, s_B, stride, n0, 0, r0);
        }
        float h0r[NS], h0i[NS], hcr[TR][NS], hci[TR][NS], ar_[TR][NS], ai_[TR][NS];
#pragma unroll
        for (int j = 0; j < NS; ++j) {
          h0r[j] = hr[j];
          h0i[j] = hi[j];
        }
#pragma unroll
        for (int i = 0; i < TR; ++i) {
          const int t = r0 + i;
          const float dt = dt_row[t], du = dt * u_row[t];
#pragma unroll
          for (int j = 0; j < NS; ++j) {
            const int n = n0 + j;
            if (CPLX) {
              const float br = VARB ? s_B[t * stride + 2 * n] : sp.br[j];
              const float bi = VARB ? s_B[t * stride + 2 * n + 1] : sp.bi[j];
              const Complex<float> e = decay_complex(dt, sp.ar[j], sp.ai[j]);
              const Complex<float> h = scan_step(e, Complex<float>{hr[j], hi[j]}, Complex<float>{du * br, du * bi});
              ar_[i][j] = e.re;
              ai_[i][j] = e.im;
              hr[j] = hcr[i][j] = h.re;
              hi[j] = hci[i][j] = h.im;
            } else {
              const float b = VARB ? s_B[t * stride + n] : sp.br[j];
              const float e = decay_real(dt, sp.ar[j]);
              ar_[i][j] = e;
              ai_[i][j] = 0.f;
              hr[j] = hcr[i][j] = scan_step(e, hr[j], du * b);
              hi[j] = hci[i][j] = 0.f;
            }
          }
        }
        // (3) adjoint over the sub-tile, last step first
        float vB[V], vC[V];
#pragma unroll
        for (int i = TR - 1; i >= 0; --i) {
          const int t = r0 + i;
          const float dt = dt_row[t], u = u_row[t], dy = dy_row[t], dtu = dt * u;
          float du_part = 0.f, ddt_a = 0.f, ddt_b = 0.f, y_part = 0.f;
#pragma unroll
          for (int j = 0; j < NS; ++j) {
            const int n = n0 + j;
            const float hpr = i > 0 ? hcr[i - 1][j] : h0r[j];
            const float hpi = i > 0 ? hci[i - 1][j] : h0i[j];
            if (CPLX) {
              const float br = VARB ? s_B[t * stride + 2 * n] : sp.br[j];
              const float bi = VARB ? s_B[t * stride + 2 * n + 1] : sp.bi[j];
              const float cr = VARC ? s_C[t * stride + 2 * n] : sp.cr[j];
              const float ci = VARC ? s_C[t * stride + 2 * n + 1] : sp.ci[j];
              // lambda_t = 2 dy conj(C_t) + carry
              const Complex<float> lam{2.f * dy * cr + lr[j], -2.f * dy * ci + li[j]};
              const Complex<float> e{ar_[i][j], ai_[i][j]};
              // q = lambda conj(a h_{t-1}): dA += dt q, d dt += Re(conj(A) q)
              const Complex<float> qv = cmul(lam, conj(cmul(e, Complex<float>{hpr, hpi})));
              gAr[j] += dt * qv.re;
              gAi[j] += dt * qv.im;
              ddt_a += sp.ar[j] * qv.re;
              ddt_b += sp.ai[j] * qv.im;
              du_part += lam.re * br + lam.im * bi;  // Re(lambda conj(B))
              const float hr_t = hcr[i][j], hi_t = hci[i][j];
              y_part += 2.f * (cr * hr_t - ci * hi_t);
              const float dbr = lam.re * dtu, dbi = lam.im * dtu;
              const float dcr = 2.f * dy * hr_t, dci = -2.f * dy * hi_t;  // 2 dy conj(h_t)
              if (VARB) {
                vB[(j * 2) * TR + i] = dbr;
                vB[(j * 2 + 1) * TR + i] = dbi;
              } else {
                gBr[j] += dbr;
                gBi[j] += dbi;
              }
              if (VARC) {
                vC[(j * 2) * TR + i] = dcr;
                vC[(j * 2 + 1) * TR + i] = dci;
              } else {
                gCr[j] += dcr;
                gCi[j] += dci;
              }
              const Complex<float> c = cmul(conj(e), lam);
              lr[j] = c.re;
              li[j] = c.im;
            } else {
              const float b = VARB ? s_B[t * stride + n] : sp.br[j];
              const float c = VARC ? s_C[t * stride + n] : sp.cr[j];
              const float lam = dy * c + lr[j];
              const float qv = lam * ar_[i][j] * hpr;
              gAr[j] += dt * qv;
              ddt_a += sp.ar[j] * qv;
              du_part += lam * b;
              y_part += c * hcr[i][j];
              if (VARB) vB[j * TR + i] = lam * dtu; else gBr[j] += lam * dtu;
              if (VARC) vC[j * TR + i] = dy * hcr[i][j]; else gCr[j] += dy * hcr[i][j];
              lr[j] = ar_[i][j] * lam;
            }
          }
          // A was stored times log2(e): d dt = sum_n Re(conj(A) q) + u sum_n Re(lambda conj(B))
          const float ddt_part = ddt_a * kLn2 + ddt_b + u * du_part;
          float* pp = s_part + (k * kWarpSize + lane) * (TR + 1) + i;
          pp[0] = du_part;
          pp[K * kWarpSize * (TR + 1)] = ddt_part;
          pp[2 * K * kWarpSize * (TR + 1)] = y_part;
        }
        // dB_t[n], dC_t[n] summed over the block's channels (lanes); lane l gets value l.
        const int vi = lane % TR, vj = lane / TR, vn = n0 + vj / CW, vpart = vj % CW;
        const int64_t vt = t0 + r0 + vi;
        const bool vok = vn < a.N && vt < te;
        const int64_t vidx = ((((p.cb * a.batch + p.b) * a.groups + p.g) * a.N + vn) * a.L + vt) * CW + vpart;
        if (VARB) {
          const float r = transpose_reduce<kWarpSize>(vB, lane);
          if (vok) a.pB[vidx] = r;
        }
        if (VARC) {
          const float r = transpose_reduce<kWarpSize>(vC, lane);
          if (vok) a.pC[vidx] = r;
        }
        __syncthreads();
        // sum the per-slice partials over the K warps, fixed order
        for (int e = threadIdx.x; e < kWarpSize * TR; e += blockDim.x) {
          const int c = e / TR, i = e % TR;
          float sdu = 0.f, sddt = 0.f, sy = 0.f;
          for (int kk = 0; kk < K; ++kk) {
            const float* pp = s_part + (kk * kWarpSize + c) * (TR + 1) + i;
            sdu += pp[0];
            sddt += pp[K * kWarpSize * (TR + 1)];
            sy += pp[2 * K * kWarpSize * (TR + 1)];
          }
          s_tdu[c * RS + r0 + i] = sdu;
          s_tddt[c * RS + r0 + i] = sddt;
          s_ty[c * RS + r0 + i] = sy;
        }
        __syncthreads();
      };
      if constexpr (SUBCK) {
#pragma unroll
        for (int r = NSUB - 1; r >= 0; --r) sub_tile(r);
      } else {
#pragma unroll 1
        for (int r = NSUB - 1; r >= 0; --r) sub_tile(r);
      }
      // Epilogue over the tile, row-wise (coalesced): du, ddelta, dz; dD and dbias sums.
      for (int e = threadIdx.x; e < kWarpSize * kTile; e += blockDim.x) {
        const int c = e / kTile, t = e % kTile;  // kTile lanes of a warp own one channel row
        const int64_t ccl = p.cb * kWarpSize + c;
        const bool ok = ccl < a.dpg && t < tlen;
        float dD = 0.f, dbias = 0.f;
        if (ok) {
          const int64_t dd = p.g * a.dpg + ccl;
          const int64_t idx = (p.b * a.dim + dd) * a.L + t0 + t;
          const float u = s_u[c * RS + t], dt = s_dt[c * RS + t], dout = s_dout[c * RS + t];
          const float Dc = a.D ? a.D[dd] : 0.f;
          float dpre = dout;
          if (a.z) {
            const float z = s_z[c * RS + t], pre = s_ty[c * RS + t] + Dc * u;
            st(a.dz, idx, dout * pre * silu_grad(z), a.dtype);
            dpre = dout * silu(z);
          }
          st(a.du, idx, dt * s_tdu[c * RS + t] + Dc * dpre, a.dtype);
          const float ddelta = s_tddt[c * RS + t] * (a.softplus ? softplus_grad_from_dt(dt) : 1.f);
          st(a.ddelta, idx, ddelta, a.dtype);
          dD = dpre * u;
          dbias = ddelta;
        }
        dD = warp_sum<kTile>(dD);
        dbias = warp_sum<kTile>(dbias);
        if (t == 0) {
          s_chan[c] += dD;
          s_chan[kWarpSize + c] += dbias;
        }
      }
    }
  }

  __syncthreads();
  if (!active) return;
  const int64_t slot = p.b * a.nchunk + p.chunk;
#pragma unroll
  for (int j = 0; j < NS; ++j) {
    const int n = n0 + j;
    if (n >= a.N) continue;
    const int64_t o = (slot * a.dim + d) * a.N * CW + n * CW;
    a.pA[o] = gAr[j];
    if (CPLX) a.pA[o + 1] = gAi[j];
    if (!VARB) {
      a.pBc[o] = gBr[j];
      if (CPLX) a.pBc[o + 1] = gBi[j];
    }
    if (!VARC) {
      a.pCc[o] = gCr[j];
      if (CPLX) a.pCc[o + 1] = gCi[j];
    }
    if (p.chunk == 0 && a.d_init) {  // d h_0 = conj(a_1) lambda_1: the carry left of step 1
      a.d_init[(bd * a.N + n) * CW] = lr[j];
      if (CPLX) a.d_init[(bd * a.N + n) * CW + 1] = li[j];
    }
  }
  if (k == 0) {
    a.pD[slot * a.dim + d] = s_chan[lane];
    a.pbias[slot * a.dim + d] = s_chan[kWarpSize + lane];
  }
}

size_t bwd_smem_bytes(const Plan& pl) {
  const int stride = bc_stride(pl.npad, pl.cw);
  const int tr = pl.warp / (pl.ns * pl.cw);
  return sizeof(float) * (8 * pl.warp * (pl.tile + 1) + 2 * pl.tile * stride +
                          3 * pl.k * pl.warp * (tr + 1) + 2 * pl.warp);
}

template <int NS, int MAXT, bool CPLX, bool VARB, bool VARC>
sscanError_t launch_bwd_main(KArgs a, const Plan& pl, sscanStream_t stream) {
  auto kern = selective_scan_bwd_kernel1<NS, MAXT, CPLX, VARB, VARC>;
  const size_t smem = bwd_smem_bytes(pl);
  sscanError_t e = check_launch(pl, "selective_scan_bwd", "backward", smem, pl.k * pl.warp, MAXT);
  if (e != sscanSuccess) return e;
  if ((e = allow_dynamic_smem<selective_scan_bwd_kernel1<NS, MAXT, CPLX, VARB, VARC>>(smem, pl)) != sscanSuccess) return e;
  a.chunk_base = 0;
  a.nchunk_launch = a.nchunk;
  const int64_t blocks = a.batch * a.groups * a.nchunk * a.ncb;
  SSCAN_LAUNCH(kern, dim3(unsigned(blocks)), dim3(pl.k * pl.warp), smem, stream, a);
  return sscanGetLastError();
}

template <int NS, int MAXT, bool CPLX>
sscanError_t dispatch_bwd_bc(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t s) {
  if (vb && vc) return launch_bwd_main<NS, MAXT, CPLX, true, true>(a, pl, s);
  if (vb) return launch_bwd_main<NS, MAXT, CPLX, true, false>(a, pl, s);
  if (vc) return launch_bwd_main<NS, MAXT, CPLX, false, true>(a, pl, s);
  return launch_bwd_main<NS, MAXT, CPLX, false, false>(a, pl, s);
}

sscanError_t launch_bwd_main_kernel(const KArgs& a, const Plan& pl, bool cplx, bool vb, bool vc,
                                    sscanStream_t stream) {
  if (use_bwd_real(pl, cplx)) return bwd_real(a, pl, vb, vc, stream);
  sscanError_t e;
  if (pl.ns == 4 && pl.k * pl.warp <= 128) {
    e = cplx ? dispatch_bwd_bc<4, 128, true>(a, pl, vb, vc, stream)
                     : dispatch_bwd_bc<4, 128, false>(a, pl, vb, vc, stream);
  } else if (pl.ns == 4) {
    e = cplx ? dispatch_bwd_bc<4, 512, true>(a, pl, vb, vc, stream)
                     : dispatch_bwd_bc<4, 512, false>(a, pl, vb, vc, stream);
  } else {
    e = cplx ? dispatch_bwd_bc<16, 512, true>(a, pl, vb, vc, stream)
                     : dispatch_bwd_bc<16, 512, false>(a, pl, vb, vc, stream);
  }
  return e;
}

}  // namespace detail
}  // namespace sscan
