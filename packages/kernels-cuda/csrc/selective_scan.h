// The selective-scan kernels' host interface: the one header the addon (and any
// other host code: the lab harness in dev/, the ROCm build) includes to launch them.
//
// Layouts are fixed by DESIGN.md and always contiguous (row-major):
//   u, delta, z, out               (batch, dim, seqlen)         dtype
//   A                              (dim, dstate)                float32 | complex64
//   B, C constant                  (dim, dstate)                float32 | complex64
//   B, C variable                  (batch, groups, dstate, seqlen)  dtype | complex64
//   D, delta_bias                  (dim)                        float32
//   initial_state, last_state      (batch, dim, dstate)         float32 | complex64
// complex64 is interleaved (re, im) float32 pairs. Every size and offset is 64-bit.
// Pointers marked "optional" may be null.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(SSCAN_EMU)  // CPU emulation for the kernel lab (dev/emu/cuda_emu.h)
#include "cuda_emu.h"
typedef cudaStream_t sscanStream_t;
typedef cudaError_t sscanError_t;
#elif defined(__HIPCC__)
#include <hip/hip_runtime.h>
typedef hipStream_t sscanStream_t;
typedef hipError_t sscanError_t;
#else
#include <cuda_runtime.h>
typedef cudaStream_t sscanStream_t;
typedef cudaError_t sscanError_t;
#endif

namespace sscan {

// Element type of u, delta, z, out and of real variable B/C. Arithmetic is float32 always.
enum class DType : int32_t { Float32 = 0, Float16 = 1, BFloat16 = 2 };

struct ScanShape {
  int64_t batch;
  int64_t dim;
  int64_t seqlen;
  int64_t dstate;
  int64_t groups;  // divides dim; channel d uses group d / (dim / groups). 1 when B/C are constant.
};

struct ScanFwdParams {
  ScanShape shape;
  DType dtype;
  bool is_complex;  // A, B, C are complex64
  bool variable_B;
  bool variable_C;
  bool delta_softplus;

  const void* u;
  const void* delta;
  const float* A;
  const void* B;
  const void* C;
  const float* D;              // optional
  const void* z;               // optional
  const float* delta_bias;     // optional
  const float* initial_state;  // optional

  void* out;                   // (batch, dim, seqlen) dtype
  float* last_state;           // optional
  // Optional: what backward needs to avoid recomputing the whole forward (chunk carries).
  // Size from selective_scan_saved_bytes(); null when the caller will not run backward.
  void* saved;
};

struct ScanBwdParams {
  ScanFwdParams fwd;           // the forward's inputs (fwd.out, fwd.last_state unused)
  const void* saved;           // what the forward wrote to fwd.saved, or null (then recomputed)
  const void* grad_out;        // (batch, dim, seqlen) dtype
  const float* grad_last_state;  // optional

  // Outputs, each fully overwritten. Variable dB/dC have B/C's dtype; constant ones are
  // float32/complex64 reduced over batch. Every pointer is required except those of
  // absent optional inputs (dD, dz, d_delta_bias, d_initial_state may be null then).
  void* du;
  void* ddelta;
  float* dA;
  void* dB;
  void* dC;
  float* dD;
  void* dz;
  float* d_delta_bias;
  float* d_initial_state;

  bool deterministic;          // bitwise reproducible: fixed reduction order, no float atomics
};

// Bytes of ScanFwdParams::saved for this shape (0 if the kernels keep nothing).
size_t selective_scan_saved_bytes(const ScanFwdParams& p);
// Device scratch the backward needs (caller allocates, kernels may overwrite it freely).
size_t selective_scan_bwd_workspace_bytes(const ScanBwdParams& p);

// Launch on `stream`; return the first launch error (cudaGetLastError) or success. The
// caller has validated every shape and pointer: these functions trust their input.
// A configuration that cannot fit the device (shared memory, threads per block: AMD GPUs have
// 64 KiB of LDS per workgroup) is refused before any launch with LaunchOutOfResources, and
// selective_scan_error_detail() says why.
sscanError_t selective_scan_fwd(const ScanFwdParams& p, sscanStream_t stream);
sscanError_t selective_scan_bwd(const ScanBwdParams& p, void* workspace, sscanStream_t stream);
// Why the last scan function called on this thread failed, when the error code alone does not
// say it (a refused launch, a warp-width mismatch between device and build); else "".
const char* selective_scan_error_detail();

// One decode step: state (batch, dim, dstate) is updated in place; x, dt, z, out are
// (batch, dim) in dtype; B, C are (batch, groups, dstate) in dtype (complex64 if complex)
// or constant (dim, dstate).
struct ScanStepParams {
  ScanShape shape;  // seqlen ignored (1)
  DType dtype;
  bool is_complex;
  bool variable_B;
  bool variable_C;
  bool delta_softplus;
  const void* x;
  const void* delta;
  const float* A;
  const void* B;
  const void* C;
  const float* D;            // optional
  const void* z;             // optional
  const float* delta_bias;   // optional
  float* state;              // in/out
  void* out;
};
sscanError_t selective_scan_step(const ScanStepParams& p, sscanStream_t stream);

}  // namespace sscan
