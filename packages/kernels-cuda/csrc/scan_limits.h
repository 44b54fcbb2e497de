// What the current GPU allows a scan launch, read once per device: the warp width, the dynamic
// shared memory a block may use, the threads per block and the multiprocessor count. Host code
// only.
//
// Why the warp width is a run-time value on the host: under HIP the host code is compiled once
// while each GPU target's device code is compiled with its own wavefront width (64 on CDNA,
// 32 on RDNA; portability.h). So launch geometry, tiles and shared-memory sizes are computed
// from the device's width (Plan::warp, scan_plan.h), and device_limits() checks, by running a
// one-thread kernel, that the code object the runtime loaded was compiled for that same width.
// On CUDA the width is 32 everywhere and nothing runs.
#pragma once

#include <cstddef>

#include "selective_scan.h"

namespace sscan {
namespace detail {

struct DeviceLimits {
  int warp;               // lanes per warp (wavefront) of the device
  size_t smem_per_block;  // dynamic shared memory (LDS) one block may use, opt-in limit on CUDA
  int max_threads;        // threads per block
  int device;             // the device these are of (its index in the runtime)
  int sms;                // multiprocessors (compute units); 0 where unknown
};

// The current device's limits (cached per device). Fails with sscanErrorNotSupported (and a
// detail, see set_error_detail) when the kernels in this binary were compiled for another warp
// width than the device runs, or the width is not one the kernels support (32, 64).
sscanError_t device_limits(DeviceLimits* out);
// For functions without an error result (buffer sizes): the limits, or this build's defaults
// when they cannot be read; the launch that follows reports the error itself.
DeviceLimits device_limits_or_default();

// The message behind the last error a scan function returned on this thread, read by
// selective_scan_error_detail() (selective_scan.h); the public functions clear it on entry.
void set_error_detail(const char* msg);
void clear_error_detail();

}  // namespace detail
}  // namespace sscan
