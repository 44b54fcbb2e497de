// Portability layer: the one place that knows whether we compile with nvcc or hipcc.
// Kernel sources include this instead of cuda_runtime.h / hip_runtime.h, so the same
// files build for NVIDIA (warp 32), AMD CDNA (wavefront 64) and AMD RDNA (wavefront 32).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(SSCAN_EMU)
// CPU emulation of the CUDA execution model (dev/emu/cuda_emu.h): the lab runs the real kernel
// sources on a machine without a GPU to check their logic (not their speed, not races).
// Its warp width is a build flag (dev/Makefile: `make emu-w64`), so the width-64 code paths of
// the kernels run on a CPU as well.
#include "cuda_emu.h"
#define SSCAN_WARP_SIZE SSCAN_EMU_WARP_SIZE
#define SSCAN_HOST_WARP_SIZE SSCAN_EMU_WARP_SIZE
#define sscanGetLastError cudaGetLastError
#define sscanSuccess cudaSuccess
#define sscanErrorNotSupported cudaErrorNotSupported
#define sscanErrorLaunchOutOfResources cudaErrorLaunchOutOfResources
#define sscanMalloc cudaMalloc
#define sscanFree cudaFree
#define sscanMemcpyDtoH(dst, src, n) cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost)
#define sscanFuncSetMaxDynamicSmem(f, bytes) cudaSuccess
#elif defined(__HIPCC__)
#include <hip/hip_runtime.h>
#include <hip/hip_fp16.h>
// ROCm 6 ships hip_bf16.h (__hip_bfloat16); ROCm 5.x only hip_bfloat16.h. We never use the
// type's arithmetic, only its 16 bits, so either header is enough.
#if defined(HIP_VERSION_MAJOR) && HIP_VERSION_MAJOR >= 6
#include <hip/hip_bf16.h>
#else
#include <hip/hip_bfloat16.h>
#endif
// The wavefront width differs per GPU target: 64 on CDNA (gfx9xx), 32 on RDNA (gfx10xx,
// gfx11xx). hipcc compiles the device code once per --offload-arch, with that target's width
// in __AMDGCN_WAVEFRONT_SIZE, but the host code only once. So kWarpSize is exact in device
// code, and in the host pass it is only a placeholder that lets device code parse: host code
// takes the width from the device at run time (Plan::warp in scan_plan.h, scan_limits.h),
// and device_limits() checks that the loaded code object was compiled for that width.
#if defined(__HIP_DEVICE_COMPILE__)
#if defined(__AMDGCN_WAVEFRONT_SIZE__)
#define SSCAN_WARP_SIZE __AMDGCN_WAVEFRONT_SIZE__
#elif defined(__AMDGCN_WAVEFRONT_SIZE)
#define SSCAN_WARP_SIZE __AMDGCN_WAVEFRONT_SIZE
#else
#error "portability.h: this HIP compiler does not say the target's wavefront size"
#endif
#else
#define SSCAN_WARP_SIZE 64  // host pass: placeholder, never used for launch geometry
#endif
#define SSCAN_HOST_WARP_SIZE 64  // only a fallback when the device cannot be asked
#define sscanGetLastError hipGetLastError
#define sscanSuccess hipSuccess
#define sscanErrorNotSupported hipErrorNotSupported
#define sscanErrorLaunchOutOfResources hipErrorLaunchOutOfResources
#define sscanMalloc hipMalloc
#define sscanFree hipFree
#define sscanMemcpyDtoH(dst, src, n) hipMemcpy(dst, src, n, hipMemcpyDeviceToHost)
#define sscanFuncSetMaxDynamicSmem(f, bytes) \
  hipFuncSetAttribute(reinterpret_cast<const void*>(f), hipFuncAttributeMaxDynamicSharedMemorySize, bytes)
#else
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#define SSCAN_WARP_SIZE 32
#define SSCAN_HOST_WARP_SIZE 32
#define sscanGetLastError cudaGetLastError
#define sscanSuccess cudaSuccess
#define sscanErrorNotSupported cudaErrorNotSupported
#define sscanErrorLaunchOutOfResources cudaErrorLaunchOutOfResources
#define sscanMalloc cudaMalloc
#define sscanFree cudaFree
#define sscanMemcpyDtoH(dst, src, n) cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost)
#define sscanFuncSetMaxDynamicSmem(f, bytes) \
  cudaFuncSetAttribute(f, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes)
#endif

// Kernel launch and dynamic shared memory as macros: the same sources build with nvcc, hipcc
// and the CPU emulator.
#if defined(SSCAN_EMU)
#define SSCAN_LAUNCH(kern, grid, block, smem, stream, ...) \
  ::emu::launch(kern, dim3(grid), dim3(block), size_t(smem), __VA_ARGS__)
#define SSCAN_DYNAMIC_SMEM(name) float* name = ::emu::dynamic_smem()
#else
#define SSCAN_LAUNCH(kern, grid, block, smem, stream, ...) kern<<<grid, block, smem, stream>>>(__VA_ARGS__)
#define SSCAN_DYNAMIC_SMEM(name) extern __shared__ float name[]
#endif

#if defined(__CUDACC__) || defined(__HIPCC__) || defined(SSCAN_EMU)
#define SSCAN_HD __host__ __device__ __forceinline__
#define SSCAN_D __device__ __forceinline__
#else
#define SSCAN_HD inline
#define SSCAN_D inline
#endif

namespace sscan {

// Device code: the warp width of the target being compiled. Host code must not size launches
// with it (under HIP the host pass serves every target): it uses Plan::warp, the device's.
constexpr int kWarpSize = SSCAN_WARP_SIZE;
// Host code: this build's usual width, used only where the device cannot be asked.
constexpr int kHostWarpSize = SSCAN_HOST_WARP_SIZE;

// ---- 16-bit float conversions, by bits so host code and both compilers agree. ----
SSCAN_HD float bits_to_float(uint32_t u) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}
SSCAN_HD uint32_t float_to_bits(float f) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
SSCAN_HD float bf16_to_float(uint16_t b) { return bits_to_float(uint32_t(b) << 16); }
// Round to nearest even; NaN stays NaN (quiet bit set) instead of rounding into Inf.
SSCAN_HD uint16_t float_to_bf16(float f) {
  uint32_t u = float_to_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}
SSCAN_HD float f16_to_float(uint16_t h) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  __half x;
  std::memcpy(&x, &h, 2);
  return __half2float(x);
#else
  // IEEE half -> float by bits (host side: lab harness, CPU code).
  uint32_t s = (h >> 15) & 1u, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, out;
  if (e == 0) {
    if (m == 0) {
      out = s << 31;
    } else {  // subnormal: normalise
      int sh = 0;
      while (!(m & 0x400u)) { m <<= 1; ++sh; }
      m &= 0x3ffu;
      out = (s << 31) | (uint32_t(127 - 15 - sh + 1) << 23) | (m << 13);
    }
  } else if (e == 31) {
    out = (s << 31) | 0x7f800000u | (m << 13);
  } else {
    out = (s << 31) | ((e + 112u) << 23) | (m << 13);
  }
  return bits_to_float(out);
#endif
}
SSCAN_HD uint16_t float_to_f16(float f) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  __half x = __float2half_rn(f);
  uint16_t h;
  std::memcpy(&h, &x, 2);
  return h;
#else
  uint32_t u = float_to_bits(f), s = (u >> 16) & 0x8000u;
  int32_t e = int32_t((u >> 23) & 0xff) - 127 + 15;
  uint32_t m = u & 0x7fffffu;
  if (((u >> 23) & 0xff) == 0xff) return uint16_t(s | 0x7c00u | (m ? 0x200u : 0));
  if (e >= 31) return uint16_t(s | 0x7c00u);
  if (e <= 0) {  // subnormal or zero, round to nearest even
    if (e < -10) return uint16_t(s);
    m |= 0x800000u;
    uint32_t shift = uint32_t(14 - e), hm = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (hm & 1u))) ++hm;
    return uint16_t(s | hm);
  }
  uint32_t hm = m >> 13, rem = m & 0x1fffu;
  uint32_t r = s | (uint32_t(e) << 10) | hm;
  if (rem > 0x1000u || (rem == 0x1000u && (hm & 1u))) ++r;  // may carry into exponent: correct
  return uint16_t(r);
#endif
}

#if defined(__CUDACC__) || defined(__HIPCC__) || defined(SSCAN_EMU)
// Warp shuffles with the width as an argument; all lanes of the (physical) warp take part.
SSCAN_D float shfl_xor(float v, int mask, int width = kWarpSize) {
#if defined(__HIPCC__) && !defined(SSCAN_EMU)
  return __shfl_xor(v, mask, width);
#else
  return __shfl_xor_sync(0xffffffffu, v, mask, width);
#endif
}
// Warp-level barrier and memory ordering for shared memory exchanged between the lanes of one
// warp. AMD wavefronts run in lockstep: a scheduling barrier with a wavefront-scope fence.
SSCAN_D void sync_warp() {
#if defined(__HIPCC__) && !defined(SSCAN_EMU)
  __builtin_amdgcn_fence(__ATOMIC_SEQ_CST, "wavefront");
  __builtin_amdgcn_wave_barrier();
#else
  __syncwarp();
#endif
}

// 2^x on the special-function unit, subnormal results flushed to zero. The decays exp(dt*A)
// are one of these per state update; flushing a decay below 1e-38 to 0 changes h by less than
// float rounding does.
SSCAN_D float fast_exp2(float x) {
#if defined(__CUDA_ARCH__)
  float r;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
#elif defined(__HIP_DEVICE_COMPILE__)
  return exp2f(x);
#else
  return std::exp2(x);
#endif
}
// e^x and 1/x through the special-function unit (a few ulp): for the elementwise gate and
// softplus of the scan kernels, whose tolerances are orders of magnitude wider.
SSCAN_D float fast_exp(float x) { return fast_exp2(x * 1.4426950408889634f); }
SSCAN_D float fast_rcp(float x) {
#if defined(__CUDA_ARCH__)
  return __frcp_rn(x);
#else
  return 1.f / x;
#endif
}
SSCAN_D float f4_at(const float4& v, int i) { return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w; }
#endif

}  // namespace sscan
