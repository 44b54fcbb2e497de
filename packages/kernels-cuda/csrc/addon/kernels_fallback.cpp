// Weak stand-ins for the kernels' entry points (selective_scan.h), so the addon links and
// loads before the kernel sources in csrc/*.cu exist, or while only some of them do. The
// kernels' own (strong) definitions replace these at link time, one by one. A stand-in
// reports cudaErrorNotSupported, which scan.cpp turns into ERR_SSCAN_NOT_BUILT.
#include "selective_scan.h"

namespace sscan {

__attribute__((weak)) size_t selective_scan_saved_bytes(const ScanFwdParams&) { return 0; }

__attribute__((weak)) size_t selective_scan_bwd_workspace_bytes(const ScanBwdParams&) {
  return 0;
}

__attribute__((weak)) sscanError_t selective_scan_fwd(const ScanFwdParams&, sscanStream_t) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) sscanError_t selective_scan_bwd(const ScanBwdParams&, void*,
                                                      sscanStream_t) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) sscanError_t selective_scan_step(const ScanStepParams&, sscanStream_t) {
  return cudaErrorNotSupported;
}

__attribute__((weak)) const char* selective_scan_error_detail() { return ""; }

}  // namespace sscan
