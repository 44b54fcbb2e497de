// Compile-time check, once per GPU target: the warp width the shared kernels are written for
// (sscan::kWarpSize, from ../kernels-cuda/csrc/portability.h) must be the wavefront width the
// compiler generates for this target: 64 on CDNA (gfx9xx), 32 on RDNA (gfx10xx, gfx11xx).
//
// Why a build error and not a test: no AMD GPU runs our CI. A kernel whose shuffles or lane
// masks assume 64 lanes on a 32-lane RDNA wavefront compiles cleanly and computes garbage, so
// the only place this can be caught before a user does is the compiler, per target.
// (ROCm 5's HIP refuses -mwavefrontsize64 on gfx10, so RDNA cannot be forced to 64 either.)
#include "portability.h"

#if defined(__HIP_DEVICE_COMPILE__)
static_assert(sscan::kWarpSize == __AMDGCN_WAVEFRONT_SIZE,
              "portability.h: sscan::kWarpSize differs from this GPU target's wavefront size "
              "(__AMDGCN_WAVEFRONT_SIZE); the kernels would run with the wrong lane count. "
              "Derive the device-side width from __AMDGCN_WAVEFRONT_SIZE and launch by the "
              "device's warpSize (see packages/kernels-rocm/README.md).");
#endif
