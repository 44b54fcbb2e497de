// Host-side launchers shared between the kernel translation units (not part of the addon API).
#pragma once

#include "scan_stage_real.cuh"

namespace sscan {
namespace detail {

KArgs make_kargs(const ScanFwdParams& p, const Plan& pl);
// Whether a tensor of this dtype can move in 4-element vector accesses (KArgs::vec4).
bool quad_aligned(const void* ptr, DType dtype);
// Forward over the whole sequence; ck/sdt may be null (then one time chunk). write_out=false
// only refreshes the checkpoints (backward without a saved buffer).
sscanError_t fwd_impl(const ScanFwdParams& p, const Plan& pl, float* ck, float* sdt, bool write_out,
                      sscanStream_t stream);
// Backward lambda carries: local reverse scans of chunks 1.., then the reverse carry pass.
sscanError_t launch_bwd_lambda(const KArgs& a, const Plan& pl, bool is_complex, bool variable_C,
                               sscanStream_t stream);
// Main backward kernel (selective_scan_bwd.cu), picked by states per thread and block size.
sscanError_t launch_bwd_main_kernel(const KArgs& a, const Plan& pl, bool is_complex, bool variable_B,
                                    bool variable_C, sscanStream_t stream);
// The forward carry pass between time chunks (selective_scan_fwd.cu).
sscanError_t launch_fwd_carry(const KArgs& a, const Plan& pl, bool is_complex, sscanStream_t stream);
// The real-A kernels (selective_scan_fwd_real.cu, selective_scan_bwd_real.cu): whether they take
// this plan, their shared memory, and their launchers (KArgs as for the general kernels).
size_t fwd_real_smem_bytes(const Plan& pl);
size_t bwd_real_smem_bytes(const Plan& pl);
bool use_fwd_real(const Plan& pl, bool is_complex);
bool use_bwd_real(const Plan& pl, bool is_complex);
sscanError_t fwd_real(const KArgs& a, const Plan& pl, bool variable_B, bool variable_C, sscanStream_t stream);
sscanError_t bwd_real(const KArgs& a, const Plan& pl, bool variable_B, bool variable_C, sscanStream_t stream);
// out[i] = sum_{q < P} part[q * n + i], in fixed order q = 0..P-1 (deterministic), stored as
// out_dtype (DType value) or float32 when out_dtype < 0.
sscanError_t launch_reduce_partials(const float* part, int64_t P, int64_t n, void* out, int out_dtype,
                                    sscanStream_t stream);

}  // namespace detail
}  // namespace sscan
