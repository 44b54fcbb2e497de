// Selective scan decode step: one time step for every (batch, channel), state updated in place.
// Decode is bound by reading and writing the state (batch*dim*dstate floats, twice), so one
// warp per (batch, channel) with lanes over the states keeps those accesses coalesced; y is a
// warp sum. Same math as the scan (scan_math.h). Checked against the forward scan with
// seqlen 1 in ../dev/scan_lab.cu.
#include "scan_device.cuh"
#include "selective_scan.h"

namespace sscan {
namespace detail {

template <bool CPLX>
__global__ void selective_scan_step_kernel1(ScanStepParams p) {
  constexpr int CW = CPLX ? 2 : 1;
  const int64_t gw = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  const int64_t dim = p.shape.dim, N = p.shape.dstate;
  if (gw >= p.shape.batch * dim) return;  // whole warp leaves together
  const int64_t b = gw / dim, d = gw % dim;
  const int64_t groups = (p.variable_B || p.variable_C) ? p.shape.groups : 1;
  const int64_t g = d / (dim / groups);
  const int dtype = int(p.dtype);
  const float x = ld(p.x, gw, dtype);
  float dt = ld(p.delta, gw, dtype) + (p.delta_bias ? p.delta_bias[d] : 0.f);
  if (p.delta_softplus) dt = softplus(dt);
  float y = 0.f;
  for (int64_t n = lane; n < N; n += kWarpSize) {
    const int64_t ia = d * N + n, iv = (b * groups + g) * N + n;
    float* h = p.state + (gw * N + n) * CW;
    if (CPLX) {
      const float2 B = p.variable_B ? static_cast<const float2*>(p.B)[iv] : static_cast<const float2*>(p.B)[ia];
      const float2 C = p.variable_C ? static_cast<const float2*>(p.C)[iv] : static_cast<const float2*>(p.C)[ia];
      const Complex<float> e = decay_complex(dt, p.A[2 * ia] * kLog2e, p.A[2 * ia + 1]);
      const Complex<float> hn = scan_step(e, Complex<float>{h[0], h[1]}, Complex<float>{dt * x * B.x, dt * x * B.y});
      h[0] = hn.re;
      h[1] = hn.im;
      y += 2.f * (C.x * hn.re - C.y * hn.im);
    } else {
      const float B = p.variable_B ? ld(p.B, iv, dtype) : static_cast<const float*>(p.B)[ia];
      const float C = p.variable_C ? ld(p.C, iv, dtype) : static_cast<const float*>(p.C)[ia];
      const float hn = scan_step(decay_real(dt, p.A[ia] * kLog2e), h[0], dt * x * B);
      h[0] = hn;
      y += C * hn;
    }
  }
  y = warp_sum<kWarpSize>(y);
  if (lane == 0) {
    float o = y + (p.D ? p.D[d] * x : 0.f);
    if (p.z) o *= silu(ld(p.z, gw, dtype));
    st(p.out, gw, o, dtype);
  }
}

}  // namespace detail

sscanError_t selective_scan_step(const ScanStepParams& p, sscanStream_t stream) {
  detail::clear_error_detail();
  const int64_t warps = p.shape.batch * p.shape.dim;
  if (warps == 0) return sscanSuccess;
  detail::DeviceLimits lim;  // the device's warp width: the kernel's kWarpSize on its target
  const sscanError_t e = detail::device_limits(&lim);
  if (e != sscanSuccess) return e;
  const int threads = 256;
  const int64_t blocks = detail::ceil_div(warps * lim.warp, threads);
  if (p.is_complex) SSCAN_LAUNCH(detail::selective_scan_step_kernel1<true>, dim3(unsigned(blocks)), threads, 0, stream, p);
  else SSCAN_LAUNCH(detail::selective_scan_step_kernel1<false>, dim3(unsigned(blocks)), threads, 0, stream, p);
  return sscanGetLastError();
}

}  // namespace sscan
