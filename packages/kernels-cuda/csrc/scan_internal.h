// Host-side launchers shared between the kernel translation units (not part of the addon API).
#pragma once

#include "scan_stage.cuh"

namespace sscan {
namespace detail {

KArgs make_kargs(const ScanFwdParams& p, const Plan& pl);
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
// out[i] = sum_{q < P} part[q * n + i], in fixed order q = 0..P-1 (deterministic), stored as
// out_dtype (DType value) or float32 when out_dtype < 0.
sscanError_t launch_reduce_partials(const float* part, int64_t P, int64_t n, void* out, int out_dtype,
                                    sscanStream_t stream);

}  // namespace detail
}  // namespace sscan
