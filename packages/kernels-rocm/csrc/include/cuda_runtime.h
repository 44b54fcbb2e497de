// Stands in for CUDA's <cuda_runtime.h> in the ROCm build: the shared addon sources in
// ../kernels-cuda/csrc/addon include it, and this include directory comes first on hipcc's
// search path (see CMakeLists.txt), so they get the HIP runtime with our CUDA-name mapping.
#pragma once
#include "../hip_compat.h"
