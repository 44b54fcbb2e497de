// The CUDA runtime names used by the shared sources in ../kernels-cuda/csrc/, mapped to HIP.
//
// Why a header of #defines and not hipify: the addon and the kernels are written once, against
// the CUDA runtime API, and this build compiles those very files with hipcc. The ROCm build
// force-includes this header (-include hip_compat.h, see CMakeLists.txt) into every translation
// unit, and include/cuda_runtime.h turns their `#include <cuda_runtime.h>` into this header, so
// nothing is copied or converted and the two builds cannot drift.
//
// The list is ours and deliberately short: what csrc/ uses today, plus the few calls a kernel
// launcher is likely to add. A CUDA name missing here fails the ROCm compile in CI with
// "use of undeclared identifier 'cudaXxx'": add its HIP twin here (one line), next to its kin.
//
// Semantics that differ, and how each is handled, are noted on the line.
#pragma once

#include <hip/hip_runtime.h>
#include <hip/hip_version.h>

// hip_runtime.h defines the platform macro; on the NVIDIA platform these names are CUDA's own.
#if !defined(__HIP_PLATFORM_AMD__) && !defined(__HIP_PLATFORM_HCC__)
#error "hip_compat.h is for the AMD HIP platform: build with HIP_PLATFORM=amd (see packages/kernels-rocm/README.md)"
#endif

// --- types and version -------------------------------------------------------------------------
#define cudaError_t hipError_t
#define cudaStream_t hipStream_t
#define cudaEvent_t hipEvent_t
#define cudaDeviceProp hipDeviceProp_t
#define cudaMemcpyKind hipMemcpyKind
#define cudaFuncAttributes hipFuncAttributes
// Read by buildInfo() as "the runtime this was built against": HIP's is MAJOR*1e7+MINOR*1e5+PATCH.
#define CUDART_VERSION HIP_VERSION

// --- errors ------------------------------------------------------------------------------------
#define cudaSuccess hipSuccess
#define cudaGetLastError hipGetLastError
#define cudaPeekAtLastError hipPeekAtLastError
#define cudaGetErrorName hipGetErrorName
#define cudaGetErrorString hipGetErrorString
#define cudaErrorMemoryAllocation hipErrorOutOfMemory
#define cudaErrorInvalidValue hipErrorInvalidValue
#define cudaErrorNoDevice hipErrorNoDevice
#define cudaErrorInvalidDevice hipErrorInvalidDevice
#define cudaErrorInsufficientDriver hipErrorInsufficientDriver
// No code object for this GPU: HIP reports it as hipErrorNoBinaryForGpu (the HIP runtime of
// ROCm 5 may also abort the process on it at start-up, which is why index.cjs checks the GPU's
// architecture against the build's list before loading the addon at all).
#define cudaErrorNoKernelImageForDevice hipErrorNoBinaryForGpu
#define cudaErrorInvalidDeviceFunction hipErrorInvalidDeviceFunction
#define cudaErrorInvalidKernelImage hipErrorInvalidImage
// CUDA's "PTX newer than the driver": the nearest HIP error is an unloadable kernel file.
#define cudaErrorUnsupportedPtxVersion hipErrorInvalidKernelFile
#define cudaErrorIllegalAddress hipErrorIllegalAddress
#define cudaErrorLaunchFailure hipErrorLaunchFailure
#define cudaErrorLaunchOutOfResources hipErrorLaunchOutOfResources
#define cudaErrorAssert hipErrorAssert
#define cudaErrorNotReady hipErrorNotReady
#define cudaErrorNotSupported hipErrorNotSupported
#define cudaErrorUnknown hipErrorUnknown
// CUDA errors that HIP never returns (a faulting AMD kernel surfaces as hipErrorLaunchFailure or
// hipErrorIllegalAddress, both handled above). Each maps to its own value that no HIP call
// produces, so `err == cudaErrorX` is simply false and a switch over them still compiles.
// The values stay inside hipError_t's range (its largest enumerator is ~1054).
#define SSCAN_HIP_NEVER_RETURNED(n) (static_cast<hipError_t>(1900 + (n)))
#define cudaErrorCompatNotSupportedOnDevice SSCAN_HIP_NEVER_RETURNED(1)
#define cudaErrorIllegalInstruction SSCAN_HIP_NEVER_RETURNED(2)
#define cudaErrorMisalignedAddress SSCAN_HIP_NEVER_RETURNED(3)
#define cudaErrorHardwareStackError SSCAN_HIP_NEVER_RETURNED(4)

// --- versions and devices ----------------------------------------------------------------------
#define cudaDriverGetVersion hipDriverGetVersion
#define cudaRuntimeGetVersion hipRuntimeGetVersion
#define cudaGetDeviceCount hipGetDeviceCount
#define cudaGetDevice hipGetDevice
#define cudaSetDevice hipSetDevice
#define cudaGetDeviceProperties hipGetDeviceProperties
#define cudaDeviceGetAttribute hipDeviceGetAttribute
#define cudaDevAttrMultiProcessorCount hipDeviceAttributeMultiprocessorCount
#define cudaDevAttrMaxSharedMemoryPerBlock hipDeviceAttributeMaxSharedMemoryPerBlock
// AMD GPUs have no opt-in shared memory (LDS) beyond the per-block limit, 64 KiB on
// gfx9/gfx10; hipDeviceAttributeSharedMemPerBlockOptin is documented "CUDA only".
#define cudaDevAttrMaxSharedMemoryPerBlockOptin hipDeviceAttributeMaxSharedMemoryPerBlock
#define cudaDeviceSynchronize hipDeviceSynchronize
#define cudaMemGetInfo hipMemGetInfo
#if HIP_VERSION_MAJOR < 6
// hipDeviceProp_t gained sharedMemPerBlockOptin in ROCm 6; before that the field does not exist
// and, as above, the opt-in limit on AMD is the plain per-block limit. The headers that declare
// the struct were included above, so only uses of the field are renamed.
#define sharedMemPerBlockOptin sharedMemPerBlock
#endif

// --- memory ------------------------------------------------------------------------------------
#define cudaMalloc hipMalloc
#define cudaFree hipFree
// hipMallocHost is deprecated; hipHostMalloc with default flags is the same page-locked memory.
#define cudaMallocHost(ptr, bytes) hipHostMalloc((ptr), (bytes), hipHostMallocDefault)
#define cudaFreeHost hipHostFree
#define cudaMemcpy hipMemcpy
#define cudaMemcpyAsync hipMemcpyAsync
#define cudaMemset hipMemset
#define cudaMemsetAsync hipMemsetAsync
#define cudaMemcpyHostToDevice hipMemcpyHostToDevice
#define cudaMemcpyDeviceToHost hipMemcpyDeviceToHost
#define cudaMemcpyDeviceToDevice hipMemcpyDeviceToDevice
#define cudaMemcpyDefault hipMemcpyDefault

// --- streams and events ------------------------------------------------------------------------
#define cudaStreamCreate hipStreamCreate
#define cudaStreamCreateWithFlags hipStreamCreateWithFlags
#define cudaStreamDestroy hipStreamDestroy
#define cudaStreamSynchronize hipStreamSynchronize
#define cudaStreamWaitEvent hipStreamWaitEvent
#define cudaStreamNonBlocking hipStreamNonBlocking
#define cudaStreamDefault hipStreamDefault
#define cudaEventCreate hipEventCreate
#define cudaEventCreateWithFlags hipEventCreateWithFlags
#define cudaEventRecord hipEventRecord
#define cudaEventSynchronize hipEventSynchronize
#define cudaEventQuery hipEventQuery
#define cudaEventElapsedTime hipEventElapsedTime
#define cudaEventDestroy hipEventDestroy
#define cudaEventDisableTiming hipEventDisableTiming
#define cudaEventDefault hipEventDefault

// --- kernels -----------------------------------------------------------------------------------
// Launch with <<<>>> works unchanged under hipcc. Raising a kernel's dynamic shared memory limit
// has the same call; on AMD it succeeds up to the 64 KiB LDS limit and fails above it.
#define cudaFuncSetAttribute hipFuncSetAttribute
#define cudaFuncGetAttributes hipFuncGetAttributes
#define cudaFuncAttributeMaxDynamicSharedMemorySize hipFuncAttributeMaxDynamicSharedMemorySize
#define cudaOccupancyMaxActiveBlocksPerMultiprocessor hipOccupancyMaxActiveBlocksPerMultiprocessor
