// Minimal CPU emulation of the CUDA execution model, enough to run the sscan kernel sources
// on a machine without a GPU (g++ -std=c++20 -DSSCAN_EMU). Each block runs as blockDim.x OS
// threads; __syncthreads is a block barrier; warp shuffles exchange through a per-warp buffer
// between two warp barriers. It checks indexing and math, not speed and not memory ordering.
//
// The warp width and the device's shared memory per block are build flags, so the kernels'
// AMD code paths run here too: -DSSCAN_EMU_WARP_SIZE=64 (CDNA wavefronts; the shared-memory
// limit then defaults to AMD's 64 KiB of LDS) or =32 with -DSSCAN_EMU_MAX_SMEM=65536 (RDNA).
// A launch above the limit (or above 1024 threads) fails like on a GPU: cudaGetLastError()
// returns cudaErrorLaunchOutOfResources and the kernel does not run.
#pragma once

#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>
#include <algorithm>

#ifndef SSCAN_EMU_WARP_SIZE
#define SSCAN_EMU_WARP_SIZE 32
#endif
#ifndef SSCAN_EMU_MAX_SMEM  // bytes of dynamic shared memory per block: H200's, or AMD's LDS
#define SSCAN_EMU_MAX_SMEM (SSCAN_EMU_WARP_SIZE == 64 ? 65536 : 232448)
#endif

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct float2 { float x, y; };
inline float2 make_float2(float a, float b) { return {a, b}; }
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(8) uint2 { unsigned x, y; };
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
typedef int cudaError_t;
typedef void* cudaStream_t;
enum { cudaSuccess = 0, cudaErrorLaunchOutOfResources = 701, cudaErrorNotSupported = 801, cudaErrorLaunchFailure = 719 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
struct cudaDeviceProp { char name[256]; int multiProcessorCount; int l2CacheSize; int warpSize; };
enum cudaDeviceAttr {
  cudaDevAttrWarpSize,
  cudaDevAttrMaxSharedMemoryPerBlockOptin,
  cudaDevAttrMaxThreadsPerBlock,
  cudaDevAttrMultiProcessorCount
};
inline const char* cudaGetErrorString(cudaError_t e) {
  return e == cudaErrorLaunchOutOfResources ? "too many resources requested for launch (emulated)"
                                            : e ? "emulated error" : "no error";
}
inline cudaError_t cudaMalloc(void** p, size_t n) { *p = std::calloc(n, 1); return *p ? cudaSuccess : 2; }
inline cudaError_t cudaFree(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { std::memcpy(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemset(void* d, int v, size_t n) { std::memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
namespace emu {
inline thread_local cudaError_t last_error = cudaSuccess;
}
inline cudaError_t cudaGetLastError() {
  const cudaError_t e = ::emu::last_error;
  ::emu::last_error = cudaSuccess;
  return e;
}
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int) {
  // 132 multiprocessors, as an H200: the launch plans (scan_plan.h) choose as they would there
  *v = a == cudaDevAttrWarpSize              ? SSCAN_EMU_WARP_SIZE
       : a == cudaDevAttrMaxThreadsPerBlock  ? 1024
       : a == cudaDevAttrMultiProcessorCount ? 132
                                             : SSCAN_EMU_MAX_SMEM;
  return cudaSuccess;
}
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::snprintf(p->name, sizeof p->name, "CPU emulation, %d-wide warps, %d B shared memory per block",
                SSCAN_EMU_WARP_SIZE, SSCAN_EMU_MAX_SMEM);
  p->multiProcessorCount = 1;
  p->l2CacheSize = 0;
  p->warpSize = SSCAN_EMU_WARP_SIZE;
  return cudaSuccess;
}
using std::max;
using std::min;
inline float exp2f(float x) { return std::exp2(x); }

namespace emu {
constexpr unsigned kWarp = SSCAN_EMU_WARP_SIZE;
struct Warp {
  std::barrier<> bar;
  float vals[kWarp];
  explicit Warp(int n) : bar(n) {}
};
struct Ctx {
  dim3 tid, bid, bdim, gdim;
  std::barrier<>* block_bar;
  Warp* warp;
  float* smem;
};
inline thread_local Ctx ctx;
inline float* dynamic_smem() { return ctx.smem; }

// One OS thread per thread of the block, reused for every block of the grid (thread creation
// dominates otherwise). Kernels may return early only after their last barrier, which holds
// for the sscan kernels.
template <class K, class... Args>
void launch(K kern, dim3 grid, dim3 block, size_t smem, Args... args) {
  const unsigned nt = block.x;
  if (smem > size_t(SSCAN_EMU_MAX_SMEM) || nt > 1024 || nt == 0) {  // what a GPU refuses
    last_error = cudaErrorLaunchOutOfResources;
    return;
  }
  std::vector<float> sm(smem / 4 + 1);
  std::barrier<> bar(nt);
  std::vector<std::unique_ptr<Warp>> warps;
  for (unsigned w = 0; w < (nt + kWarp - 1) / kWarp; ++w) warps.emplace_back(new Warp(int(std::min(kWarp, nt - kWarp * w))));
  std::vector<std::thread> th;
  th.reserve(nt);
  for (unsigned t = 0; t < nt; ++t)
    th.emplace_back([&, t] {
      ctx.tid = dim3(t);
      ctx.bdim = block;
      ctx.gdim = grid;
      ctx.block_bar = &bar;
      ctx.warp = warps[t / kWarp].get();
      ctx.smem = sm.data();
      for (unsigned b = 0; b < grid.x; ++b) {
        if (t == 0) std::fill(sm.begin(), sm.end(), std::nanf(""));  // unwritten smem reads NaN
        bar.arrive_and_wait();
        ctx.bid = dim3(b);
        kern(args...);
        bar.arrive_and_wait();
      }
    });
  for (auto& x : th) x.join();
}
}  // namespace emu

#define threadIdx (::emu::ctx.tid)
#define blockIdx (::emu::ctx.bid)
#define blockDim (::emu::ctx.bdim)
#define gridDim (::emu::ctx.gdim)
inline void __syncthreads() { ::emu::ctx.block_bar->arrive_and_wait(); }
inline void __syncwarp() { ::emu::ctx.warp->bar.arrive_and_wait(); }
inline float __shfl_xor_sync(unsigned, float v, int mask, int width) {
  ::emu::Warp* w = ::emu::ctx.warp;
  const int lane = int(threadIdx.x % ::emu::kWarp);
  w->vals[lane] = v;
  w->bar.arrive_and_wait();
  const int src = (lane & ~(width - 1)) | ((lane ^ mask) & (width - 1));
  const float r = w->vals[src];
  w->bar.arrive_and_wait();
  return r;
}
