// Compile-time check, once per GPU target: the warp width the shared kernels are compiled for
// (sscan::kWarpSize, from ../kernels-cuda/csrc/portability.h) must be the wavefront width the
// compiler generates for this target: 64 on CDNA (gfx9xx), 32 on RDNA (gfx10xx, gfx11xx).
// portability.h takes it from the compiler per target, so this holds by construction; the
// check keeps it so if someone fixes the width again.
//
// Why a build error and not a test: no AMD GPU runs our CI. A kernel whose shuffles or lane
// masks assume 64 lanes on a 32-lane RDNA wavefront compiles cleanly and computes garbage, so
// the only place this can be caught before a user does is the compiler, per target. (The
// host's side of the contract, launching with the device's width, is checked at run time:
// device_limits() in scan_limits.cu runs a kernel that reports the width it was built for.)
#include "portability.h"
#include "scan_plan.h"

#if defined(__HIP_DEVICE_COMPILE__)
static_assert(sscan::kWarpSize == __AMDGCN_WAVEFRONT_SIZE,
              "portability.h: sscan::kWarpSize differs from this GPU target's wavefront size "
              "(__AMDGCN_WAVEFRONT_SIZE); the kernels would run with the wrong lane count. "
              "Derive the device-side width from __AMDGCN_WAVEFRONT_SIZE and launch by the "
              "device's warpSize (see packages/kernels-rocm/README.md).");
// The host sizes tiles by tile_for_warp(device warpSize): the device must use the same rule.
static_assert(sscan::detail::kTile == sscan::detail::tile_for_warp(__AMDGCN_WAVEFRONT_SIZE),
              "scan_plan.h: the device's tile must be tile_for_warp of its wavefront width");
#endif
