// Selective scan decode step: placeholder until the kernel lands (keeps the addon linking).
#include "portability.h"
#include "selective_scan.h"
namespace sscan {
sscanError_t selective_scan_step(const ScanStepParams&, sscanStream_t) { return cudaErrorNotSupported; }
}  // namespace sscan
