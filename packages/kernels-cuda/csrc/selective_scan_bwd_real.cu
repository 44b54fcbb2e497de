// Selective scan backward for real A on 32-wide warps (the common case). Same contract, saved
// checkpoints, lambda carries and partial-gradient buffers as the general kernel
// (selective_scan_bwd.cu), which still serves complex A, 16 states per thread and 64-wide
// wavefronts.
//
// Why a second kernel (docs/perf-notes.md, v3): Nsight Compute on the general kernel showed 95
// instructions per state update, IPC 0.95, and 44 % of warp time stalled on instruction fetch:
// its segment, tile and sub-tile loops were all unrolled (16 copies of the sub-tile body).
// Here only the 8-step sub-tile body is unrolled, once; the loops around it run at run time
// and pick their start states from registers by select chains (no local memory).
//
// Per 128-step segment (from its checkpoint): sweep forward to get h at each 32-step tile
// start; then per tile, last first: stage it, advance to the start of each 8-step sub-tile;
// per sub-tile, last first: recompute h and the decays into registers (8 steps x 4 states),
// run the adjoint back over them, and
//  - dB_t[n], dC_t[n]: summed over the block's 32 channels by a transposed sum through a
//    per-warp shared scratch (each lane writes its 32 values as float4 rows, then lane v adds
//    column v): about 2 instructions per value, against ~4 for a shuffle transpose;
//  - du, ddelta, y partials per (channel, step) of each warp go to shared memory; after one
//    barrier, each thread sums the K warps' partials of its elements and writes du, ddelta, dz
//    directly (double-buffered partials: one barrier per sub-tile).
// dA and constant dB/dC accumulate in registers; dD, dbias in one shared slot per (channel,
// sub-tile step), each owned by one thread, summed in order at the end. All sums have a fixed
// order: bitwise reproducible.
#include "scan_internal.h"

namespace sscan {
namespace detail {

namespace {
constexpr int kSub = 8;     // sub-tile steps
constexpr int kPartRS = 36; // partials row stride: [step][channel], conflict-free both ways
}  // namespace

// Shared memory (floats): u, dt, dy, dout, z rows [32][36]; B, C warp-major [K][32][4];
// partials [2][3][K][8][36]; per-warp transpose scratch [K][32][36]; dD, dbias per element [2][256].
size_t bwd_real_smem_bytes(const Plan& pl) {
  return sizeof(float) * size_t(5 * 32 * kRealRS + 2 * pl.k * 32 * 4 + 2 * 3 * pl.k * kSub * kPartRS +
                                pl.k * 32 * kRealRS + 2 * 32 * kSub);
}

// Row i (known at run time) of a register array of 4-state rows, read or written through a
// select chain: indexing the array would move it to local memory.
template <int M>
SSCAN_D void pick_row(const float (&v)[M][4], int i, float (&out)[4]) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    out[j] = v[0][j];
#pragma unroll
    for (int m = 1; m < M; ++m)
      if (m == i) out[j] = v[m][j];
  }
}
template <int M>
SSCAN_D void put_row(float (&v)[M][4], int i, const float (&in)[4]) {
#pragma unroll
  for (int m = 0; m < M; ++m)
#pragma unroll
    for (int j = 0; j < 4; ++j)
      if (m == i) v[m][j] = in[j];
}

// h over steps [t_lo, t_lo + n) of the staged tile (n a compile-time count).
template <int NSTEP, bool VARB>
SSCAN_D void advance_real(float (&h)[4], const float (&ar)[4], const float4& bconst, const float* dt_row,
                          const float* u_row, const float4* Bk, int t_lo) {
#pragma unroll
  for (int t = t_lo; t < t_lo + NSTEP; ++t) {
    const float dt = dt_row[t], du = dt * u_row[t];
    const float4 b = VARB ? Bk[t] : bconst;
#pragma unroll
    for (int j = 0; j < 4; ++j) h[j] = fast_exp2(dt * ar[j]) * h[j] + du * f4_at(b, j);
  }
}

template <int DT, int MAXT, bool VARB, bool VARC>
__global__ void __launch_bounds__(MAXT, MAXT <= 128 ? 3 : 1) selective_scan_bwd_real_kernel(KArgs a) {
#if SSCAN_WARP_SIZE == 32
  constexpr int T = 32, RS = kRealRS, TR = kSub, NSUB = T / TR, PS = kPartRS;
  constexpr float kLn2f = 0.6931471805599453f;
  SSCAN_DYNAMIC_SMEM(smem);
  const int lane = threadIdx.x % 32, k = threadIdx.x / 32, K = blockDim.x / 32;
  const int nthr = blockDim.x;
  float* s_u = smem;
  float* s_dt = s_u + 32 * RS;
  float* s_dy = s_dt + 32 * RS;
  float* s_dout = s_dy + 32 * RS;
  float* s_z = s_dout + 32 * RS;
  float* s_B = s_z + 32 * RS;
  float* s_C = s_B + K * T * 4;
  float* s_part = s_C + K * T * 4;
  float* s_scr = s_part + 2 * 3 * K * TR * PS;
  float* s_acc = s_scr + K * 32 * RS;  // [2][32 * TR]: dD, dbias of element e, owned by one thread
  for (int e = threadIdx.x; e < 2 * 32 * TR; e += nthr) s_acc[e] = 0.f;
  const int part_q = K * TR * PS;  // one quantity's partials, all warps

  const BlockPos p = block_pos(a);
  const int64_t cl = p.cb * 32 + lane;
  const bool active = cl < a.dpg;
  const int64_t d = p.g * a.dpg + (active ? cl : a.dpg - 1);
  const int64_t bd = p.b * a.dim + d;
  const int n0 = k * 4;
  StateParams<4, false> sp;
  load_state_params<4, false, VARB, VARC>(a, d, n0, sp);
  const float4 bconst = make_float4(sp.br[0], sp.br[1], sp.br[2], sp.br[3]);
  const float4 cconst = make_float4(sp.cr[0], sp.cr[1], sp.cr[2], sp.cr[3]);

  float lam[4], gA[4], gB[4], gC[4];
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    gA[j] = gB[j] = gC[j] = lam[j] = 0.f;
    const int n = n0 + j;
    if (p.chunk + 1 < a.nchunk) lam[j] = a.lam[(bd * a.nchunk + p.chunk) * a.npad + n];
    else if (a.grad_last && n < a.N) lam[j] = a.grad_last[bd * a.N + n];
  }

  const float* u_row = s_u + lane * RS;
  const float* dt_row = s_dt + lane * RS;
  const float* dy_row = s_dy + lane * RS;
  const float4* Bk = reinterpret_cast<const float4*>(s_B) + k * T;
  const float4* Ck = reinterpret_cast<const float4*>(s_C) + k * T;
  float* scr = s_scr + k * 32 * RS;
  const int64_t chan0 = p.g * a.dpg + p.cb * 32;  // first channel of the block

  const int64_t s_first = p.chunk * a.chunk_segs;
  const int64_t s_last = min(a.nseg, s_first + a.chunk_segs) - 1;
  #pragma unroll 1
  for (int64_t s = s_last; s >= s_first; --s) {
    const int64_t ts = s * kSegLen, te = min(a.L, ts + kSegLen);
    const int nq = int((te - ts + T - 1) / T);
    // (1) sweep: h at the start of every tile of the segment
    float hq[kSegTiles][4];
    {
      const float4 v = *reinterpret_cast<const float4*>(a.ck + (bd * a.nseg + s) * a.npad + n0);
      float h[4] = {v.x, v.y, v.z, v.w};
      #pragma unroll 1
      for (int q = 0; q < nq; ++q) {
        put_row(hq, q, h);
        if (q + 1 == nq) break;  // the last tile's end state is not needed
        __syncthreads();
        stage_tile_real<DT, false, VARB, false>(a, p, ts + q * T, te, s_u, s_dt, nullptr, nullptr, nullptr, s_B, nullptr);
        __syncthreads();
        advance_real<T, VARB>(h, sp.ar, bconst, dt_row, u_row, Bk, 0);
      }
    }
    #pragma unroll 1
    for (int q = nq - 1; q >= 0; --q) {
      const int64_t t0 = ts + q * T;
      const int tlen = int(te - t0 < T ? te - t0 : T);
      __syncthreads();
      stage_tile_real<DT, true, VARB, VARC>(a, p, t0, te, s_u, s_dt, s_dy, s_dout, s_z, s_B, s_C);
      __syncthreads();
      // (2) start states of the sub-tiles
      float hs[NSUB][4];
      {
        float h[4];
        pick_row(hq, q, h);
#pragma unroll
        for (int r = 0; r < NSUB; ++r) {
#pragma unroll
          for (int j = 0; j < 4; ++j) hs[r][j] = h[j];
          if (r + 1 < NSUB) advance_real<TR, VARB>(h, sp.ar, bconst, dt_row, u_row, Bk, r * TR);
        }
      }
      #pragma unroll 1  // one copy of the body: instruction-cache footprint (see top)
      for (int r = (tlen - 1) / TR; r >= 0; --r) {
        const int r0 = r * TR;
        // (3) recompute h and the decays over the sub-tile
        float hv[TR][4], av[TR][4], h0[4];
        pick_row(hs, r, h0);
        {
          float h[4] = {h0[0], h0[1], h0[2], h0[3]};
#pragma unroll
          for (int i = 0; i < TR; ++i) {
            const float dt = dt_row[r0 + i], du = dt * u_row[r0 + i];
            const float4 b = VARB ? Bk[r0 + i] : bconst;
#pragma unroll
            for (int j = 0; j < 4; ++j) {
              av[i][j] = fast_exp2(dt * sp.ar[j]);
              h[j] = hv[i][j] = av[i][j] * h[j] + du * f4_at(b, j);
            }
          }
        }
        // (4) adjoint, last step first
        float* part = s_part + (r & 1) * 3 * part_q + k * TR * PS;
#pragma unroll
        for (int i = TR - 1; i >= 0; --i) {
          const int t = r0 + i;
          const float dt = dt_row[t], u = u_row[t], dy = dy_row[t], dtu = dt * u;
          const float4 b = VARB ? Bk[t] : bconst;
          const float4 c = VARC ? Ck[t] : cconst;
          float du_p = 0.f, ddt_a = 0.f, y_p = 0.f, dbv[4];
#pragma unroll
          for (int j = 0; j < 4; ++j) {
            const float l = dy * f4_at(c, j) + lam[j];
            const float hp = i > 0 ? hv[i - 1][j] : h0[j];
            const float qv = l * av[i][j] * hp;
            gA[j] += dt * qv;
            ddt_a += sp.ar[j] * qv;
            du_p += l * f4_at(b, j);
            y_p += f4_at(c, j) * hv[i][j];
            dbv[j] = l * dtu;
            if (!VARB) gB[j] += dbv[j];
            if (!VARC) gC[j] += dy * hv[i][j];
            lam[j] = av[i][j] * l;
          }
          if (VARB) *reinterpret_cast<float4*>(scr + lane * RS + i * 4) = make_float4(dbv[0], dbv[1], dbv[2], dbv[3]);
          // A is stored times log2(e): d dt = sum_n A_n q_n + u sum_n lambda_n B_n
          part[i * PS + lane] = du_p;
          part[part_q + i * PS + lane] = ddt_a * kLn2f + u * du_p;
          part[2 * part_q + i * PS + lane] = y_p;
        }
        // (5) dB_t[n], dC_t[n] over the block's channels: lane v adds column v = (step v / 4,
        // state v % 4) of the warp's 32 rows.
        const int vi = lane / 4, vn = n0 + lane % 4;
        const int64_t vt = t0 + r0 + vi;
        const bool vok = vn < a.N && vt < te;
        const int64_t vidx = (((p.cb * a.batch + p.b) * a.groups + p.g) * a.N + vn) * a.L + vt;
        if (VARB) {
          sync_warp();
          float sum = 0.f;
#pragma unroll 8
          for (int row = 0; row < 32; ++row) sum += scr[row * RS + lane];
          if (vok) a.pB[vidx] = sum;
          sync_warp();
        }
        if (VARC) {
#pragma unroll
          for (int i = 0; i < TR; ++i) {
            const float dy = dy_row[r0 + i];
            *reinterpret_cast<float4*>(scr + lane * RS + i * 4) =
                make_float4(dy * hv[i][0], dy * hv[i][1], dy * hv[i][2], dy * hv[i][3]);
          }
          sync_warp();
          float sum = 0.f;
#pragma unroll 8
          for (int row = 0; row < 32; ++row) sum += scr[row * RS + lane];
          if (vok) a.pC[vidx] = sum;
          sync_warp();
        }
        __syncthreads();
        // (6) per (channel, step): partials summed over the K warps in order, then du, ddelta, dz
        // Elements e = threadIdx.x + i * nthr < 256: channel e / 8, step e % 8 (a warp covers 4
        // channels x 8 steps: 4 contiguous runs in global memory).
        const float* pr = s_part + (r & 1) * 3 * part_q;
#pragma unroll 1
        for (int e = threadIdx.x; e < 32 * TR; e += nthr) {
          const int ch = e / TR, i = e % TR, t = r0 + i;
          if (p.cb * 32 + ch >= a.dpg || t >= tlen) continue;
          float sdu = 0.f, sddt = 0.f, sy = 0.f;
          for (int kk = 0; kk < K; ++kk) {
            const int o = kk * TR * PS + i * PS + ch;
            sdu += pr[o];
            sddt += pr[part_q + o];
            sy += pr[2 * part_q + o];
          }
          const int64_t dd = chan0 + ch;
          const int64_t idx = (p.b * a.dim + dd) * a.L + t0 + t;
          const float u = s_u[ch * RS + t], dt = s_dt[ch * RS + t], dout = s_dout[ch * RS + t];
          const float Dc = a.D ? a.D[dd] : 0.f;
          float dpre = dout;
          if (a.z) {
            const float z = s_z[ch * RS + t];
            store_elem<DT>(a.dz, idx, dout * (sy + Dc * u) * silu_grad_fast(z));
            dpre = s_dy[ch * RS + t];  // dout * silu(z)
          }
          store_elem<DT>(a.du, idx, dt * sdu + Dc * dpre);
          const float ddelta = sddt * (a.softplus ? -expm1f(-dt) : 1.f);  // softplus' from dt
          store_elem<DT>(a.ddelta, idx, ddelta);
          s_acc[e] += dpre * u;
          s_acc[32 * TR + e] += ddelta;
        }
      }
    }
  }

  // dD, dbias of each channel: its 8 step slots summed in order (each slot was written by the
  // thread that owns it only).
  const int64_t slot = p.b * a.nchunk + p.chunk;
  __syncthreads();
  for (int ch = threadIdx.x; ch < 32; ch += nthr) {
    if (p.cb * 32 + ch >= a.dpg) continue;
    float vD = 0.f, vb = 0.f;
    for (int i = 0; i < TR; ++i) {
      vD += s_acc[ch * TR + i];
      vb += s_acc[32 * TR + ch * TR + i];
    }
    a.pD[slot * a.dim + chan0 + ch] = vD;
    a.pbias[slot * a.dim + chan0 + ch] = vb;
  }
  if (!active) return;
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int n = n0 + j;
    if (n >= a.N) continue;
    const int64_t o = (slot * a.dim + d) * a.N + n;
    a.pA[o] = gA[j];
    if (!VARB) a.pBc[o] = gB[j];
    if (!VARC) a.pCc[o] = gC[j];
    if (p.chunk == 0 && a.d_init) a.d_init[bd * a.N + n] = lam[j];  // d h_0 = a_1 lambda_1
  }
#endif
}

template <int DT, int MAXT, bool VARB, bool VARC>
sscanError_t launch_bwd_real(KArgs a, const Plan& pl, sscanStream_t stream) {
  auto kern = selective_scan_bwd_real_kernel<DT, MAXT, VARB, VARC>;
  const size_t smem = bwd_real_smem_bytes(pl);
  sscanError_t e = check_launch(pl, "selective_scan_bwd", "backward (real)", smem, pl.k * pl.warp, MAXT);
  if (e != sscanSuccess) return e;
  if ((e = allow_dynamic_smem<selective_scan_bwd_real_kernel<DT, MAXT, VARB, VARC>>(smem, pl)) != sscanSuccess) return e;
  a.chunk_base = 0;
  a.nchunk_launch = a.nchunk;
  const int64_t blocks = a.batch * a.groups * a.nchunk * a.ncb;
  SSCAN_LAUNCH(kern, dim3(unsigned(blocks)), dim3(pl.k * pl.warp), smem, stream, a);
  return sscanGetLastError();
}

bool use_bwd_real(const Plan& pl, bool is_complex) {
  return g_real_kernels && !is_complex && pl.ns == 4 && pl.warp == 32 && pl.k * pl.warp <= kMaxBlockThreads &&
         bwd_real_smem_bytes(pl) <= size_t(pl.lim.smem_per_block);
}

template <int DT, int MAXT>
sscanError_t bwd_real_bc(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t s) {
  if (vb && vc) return launch_bwd_real<DT, MAXT, true, true>(a, pl, s);
  if (vb) return launch_bwd_real<DT, MAXT, true, false>(a, pl, s);
  if (vc) return launch_bwd_real<DT, MAXT, false, true>(a, pl, s);
  return launch_bwd_real<DT, MAXT, false, false>(a, pl, s);
}

template <int DT>
sscanError_t bwd_real_dt(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t stream) {
  return pl.k * pl.warp <= 128 ? bwd_real_bc<DT, 128>(a, pl, vb, vc, stream)
                               : bwd_real_bc<DT, 512>(a, pl, vb, vc, stream);
}

sscanError_t bwd_real(const KArgs& a, const Plan& pl, bool vb, bool vc, sscanStream_t stream) {
  if (a.dtype == int(DType::Float32)) return bwd_real_dt<0>(a, pl, vb, vc, stream);
  if (a.dtype == int(DType::Float16)) return bwd_real_dt<1>(a, pl, vb, vc, stream);
  return bwd_real_dt<2>(a, pl, vb, vc, stream);
}

}  // namespace detail
}  // namespace sscan
