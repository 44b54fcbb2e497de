// MatMul through the platform's BLAS, loaded at run time: cuBLAS on NVIDIA, rocBLAS on AMD
// (the same source built by hipcc). Nothing links against either library, so the addon loads
// on machines without them; matmul then runs our own tiled kernel (csrc/ops/matmul.cu) and
// MatMulBackendName() says so.
//
// Which library: $SSCAN_CUBLAS_LIBRARY (NVIDIA) or $SSCAN_ROCBLAS_LIBRARY (AMD) if set ("none"
// turns BLAS off), else the first of libcublas.so.13, .so.12, .so (librocblas.so.0, .so) that
// dlopen() finds. Loaded once per process; a handle per device and JS environment lives in
// its DeviceState and is bound to the device's stream.
#pragma once

#include <cstdint>
#include <string>

#include "runtime.h"

namespace sscan {
namespace addon {

// "cuBLAS (libcublas.so.13)" when loaded, else "sscan tiled kernel (<why not>)".
std::string MatMulBackendName();

// Row-major out (batch, M, N) = op(a) · op(b), contiguous, b shared across the batch when
// `b_shared`. Returns false (nothing enqueued) when no BLAS library is loaded or a size does
// not fit its 32-bit arguments; throws a Failure naming `op` if the library reports an error.
bool BlasGemm(DeviceState& d, bool is_double, const void* a, const void* b, void* out,
              int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b,
              bool b_shared, const char* op);

// Destroys the handle of one device (Runtime teardown).
void BlasDestroyHandle(DeviceState& d);

}  // namespace addon
}  // namespace sscan
