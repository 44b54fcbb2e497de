// A one-thread kernel that the probe launches on every device: the cheapest proof that this
// binary holds code the GPU can run (else cudaErrorNoKernelImageForDevice) and that the
// driver can load it (else e.g. cudaErrorUnsupportedPtxVersion for a driver older than nvcc).
#include "probe_kernel.h"

namespace sscan {
namespace addon {

namespace {
__global__ void probe_kernel(int* out) { *out = kProbeValue; }
}  // namespace

cudaError_t LaunchProbeKernel(int* out, cudaStream_t stream) {
  probe_kernel<<<1, 1, 0, stream>>>(out);
  return cudaGetLastError();
}

}  // namespace addon
}  // namespace sscan
