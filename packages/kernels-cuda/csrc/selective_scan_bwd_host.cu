// Selective scan backward, host side: workspace layout and the launch sequence
// (checkpoints if forward saved none -> lambda carries -> main kernel -> fixed-order
// reductions of the per-block partials). The kernels: selective_scan_bwd.cu and
// selective_scan_bwd_lambda.cu.
#include "scan_internal.h"

namespace sscan {
namespace detail {

// Workspace layout, in floats, each piece 256-byte aligned.
struct BwdLayout {
  size_t ck, sdt, lam, bsdt, pB, pC, pA, pBc, pCc, pD, pbias, total;
};
BwdLayout bwd_layout(const ScanBwdParams& bp, const Plan& pl) {
  const ScanShape& s = bp.fwd.shape;
  const size_t bd = size_t(s.batch) * s.dim, slots = size_t(s.batch) * pl.nbchunk;
  const size_t g = (bp.fwd.variable_B || bp.fwd.variable_C) ? size_t(s.groups) : 1;
  const size_t var = size_t(pl.ncb) * s.batch * g * s.dstate * s.seqlen * pl.cw;
  BwdLayout l{};
  size_t off = 0;
  auto take = [&](size_t floats) {
    size_t o = off;
    off += align256(floats * 4) / 4;
    return o;
  };
  const bool need_ck = bp.saved == nullptr;
  l.ck = take(need_ck ? ck_floats(s, pl) : 0);
  l.sdt = take(need_ck ? bd * pl.nseg : 0);
  l.lam = take(bd * pl.nbchunk * pl.npad * pl.cw);
  l.bsdt = take(bd * pl.nbchunk);
  l.pB = take(bp.fwd.variable_B ? var : 0);
  l.pC = take(bp.fwd.variable_C ? var : 0);
  l.pA = take(slots * s.dim * s.dstate * pl.cw);
  l.pBc = take(bp.fwd.variable_B ? 0 : slots * s.dim * s.dstate * pl.cw);
  l.pCc = take(bp.fwd.variable_C ? 0 : slots * s.dim * s.dstate * pl.cw);
  l.pD = take(slots * s.dim);
  l.pbias = take(slots * s.dim);
  l.total = off;
  return l;
}

}  // namespace detail

size_t selective_scan_bwd_workspace_bytes(const ScanBwdParams& p) {
  const detail::Plan pl = detail::make_plan(p.fwd.shape, p.fwd.is_complex, true, detail::device_limits_or_default());
  return detail::bwd_layout(p, pl).total * 4;
}

sscanError_t selective_scan_bwd(const ScanBwdParams& bp, void* workspace, sscanStream_t stream) {
  using namespace detail;
  const ScanFwdParams& f = bp.fwd;
  clear_error_detail();
  DeviceLimits lim;
  sscanError_t e = device_limits(&lim);
  if (e != sscanSuccess) return e;
  const Plan pl = make_plan(f.shape, f.is_complex, true, lim);
  // Refused before anything runs if the main kernel cannot fit this device (scan_plan.h).
  if (!use_bwd_real(pl, f.is_complex))
    e = check_launch(pl, "selective_scan_bwd", "backward", bwd_smem_bytes(pl), pl.k * pl.warp, kMaxBlockThreads);
  if (e != sscanSuccess) return e;
  const BwdLayout l = bwd_layout(bp, pl);
  float* ws = static_cast<float*>(workspace);
  float* ck;
  if (bp.saved) {
    ck = static_cast<float*>(const_cast<void*>(bp.saved));
  } else {  // recompute the checkpoints (forward without outputs)
    ck = ws + l.ck;
    ScanFwdParams f2 = f;
    f2.out = nullptr;         // backward never writes the forward's outputs
    f2.last_state = nullptr;
    if ((e = fwd_impl(f2, pl, ck, ws + l.sdt, false, stream)) != sscanSuccess) return e;
  }
  KArgs a = make_kargs(f, pl);
  a.ck = ck;
  a.nchunk = pl.nbchunk;
  a.chunk_segs = pl.bchunk_segs;
  a.dout = bp.grad_out;
  a.vec4 = a.vec4 && quad_aligned(bp.grad_out, f.dtype);
  a.grad_last = bp.grad_last_state;
  a.du = bp.du;
  a.ddelta = bp.ddelta;
  a.dz = bp.dz;
  a.d_init = bp.d_initial_state;
  a.lam = ws + l.lam;
  a.bsdt = ws + l.bsdt;
  a.pB = f.variable_B ? ws + l.pB : nullptr;
  a.pC = f.variable_C ? ws + l.pC : nullptr;
  a.pA = ws + l.pA;
  a.pBc = ws + l.pBc;
  a.pCc = ws + l.pCc;
  a.pD = ws + l.pD;
  a.pbias = ws + l.pbias;
  if (a.nchunk > 1 && (e = launch_bwd_lambda(a, pl, f.is_complex, f.variable_C, stream)) != sscanSuccess) return e;
  const bool vb = f.variable_B, vc = f.variable_C;
  e = launch_bwd_main_kernel(a, pl, f.is_complex, vb, vc, stream);
  if (e != sscanSuccess) return e;
  const ScanShape& s = f.shape;
  const int64_t slots = s.batch * pl.nbchunk, dn = s.dim * s.dstate * pl.cw;
  const int out_var = f.is_complex ? -1 : int(f.dtype);
  const int64_t varn = s.batch * a.groups * s.dstate * s.seqlen * pl.cw;
  if ((e = launch_reduce_partials(a.pA, slots, dn, bp.dA, -1, stream)) != sscanSuccess) return e;
  if ((e = vb ? launch_reduce_partials(a.pB, pl.ncb, varn, bp.dB, out_var, stream)
              : launch_reduce_partials(a.pBc, slots, dn, bp.dB, -1, stream)) != sscanSuccess) return e;
  if ((e = vc ? launch_reduce_partials(a.pC, pl.ncb, varn, bp.dC, out_var, stream)
              : launch_reduce_partials(a.pCc, slots, dn, bp.dC, -1, stream)) != sscanSuccess) return e;
  if (bp.dD && (e = launch_reduce_partials(a.pD, slots, s.dim, bp.dD, -1, stream)) != sscanSuccess) return e;
  if (bp.d_delta_bias && (e = launch_reduce_partials(a.pbias, slots, s.dim, bp.d_delta_bias, -1, stream)) != sscanSuccess) return e;
  return sscanSuccess;
}

}  // namespace sscan
