// Selective scan backward: placeholder until the kernels land (keeps the addon linking).
#include "portability.h"
#include "selective_scan.h"
namespace sscan {
size_t selective_scan_bwd_workspace_bytes(const ScanBwdParams&) { return 0; }
sscanError_t selective_scan_bwd(const ScanBwdParams&, void*, sscanStream_t) { return cudaErrorNotSupported; }
}  // namespace sscan
