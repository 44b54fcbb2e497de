#pragma once

#include <cuda_runtime.h>

namespace sscan {
namespace addon {

constexpr int kProbeValue = 0x5CA9;
// Writes kProbeValue to *out (device memory) on `stream`; returns the launch error.
cudaError_t LaunchProbeKernel(int* out, cudaStream_t stream);

}  // namespace addon
}  // namespace sscan
