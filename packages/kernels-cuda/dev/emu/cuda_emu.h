// Minimal CPU emulation of the CUDA execution model, enough to run the sscan kernel sources
// on a machine without a GPU (g++ -std=c++20 -DSSCAN_EMU). Each block runs as blockDim.x OS
// threads; __syncthreads is a block barrier; warp shuffles exchange through a per-warp buffer
// between two warp barriers. It checks indexing and math, not speed and not memory ordering.
#pragma once

#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>
#include <algorithm>

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
typedef int cudaError_t;
typedef void* cudaStream_t;
enum { cudaSuccess = 0, cudaErrorNotSupported = 801, cudaErrorLaunchFailure = 719 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
struct cudaDeviceProp { char name[256]; int multiProcessorCount; int l2CacheSize; };
inline const char* cudaGetErrorString(cudaError_t e) { return e ? "emulated error" : "no error"; }
inline cudaError_t cudaMalloc(void** p, size_t n) { *p = std::calloc(n, 1); return *p ? cudaSuccess : 2; }
inline cudaError_t cudaFree(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { std::memcpy(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemset(void* d, int v, size_t n) { std::memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::strcpy(p->name, "CPU emulation");
  p->multiProcessorCount = 1;
  p->l2CacheSize = 0;
  return cudaSuccess;
}
using std::max;
using std::min;
inline float exp2f(float x) { return std::exp2(x); }

namespace emu {
struct Warp {
  std::barrier<> bar;
  float vals[32];
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
  std::vector<float> sm(smem / 4 + 1);
  std::barrier<> bar(nt);
  std::vector<std::unique_ptr<Warp>> warps;
  for (unsigned w = 0; w < (nt + 31) / 32; ++w) warps.emplace_back(new Warp(int(std::min(32u, nt - 32 * w))));
  std::vector<std::thread> th;
  th.reserve(nt);
  for (unsigned t = 0; t < nt; ++t)
    th.emplace_back([&, t] {
      ctx.tid = dim3(t);
      ctx.bdim = block;
      ctx.gdim = grid;
      ctx.block_bar = &bar;
      ctx.warp = warps[t / 32].get();
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
inline float __shfl_xor_sync(unsigned, float v, int mask, int width) {
  ::emu::Warp* w = ::emu::ctx.warp;
  const int lane = int(threadIdx.x % 32);
  w->vals[lane] = v;
  w->bar.arrive_and_wait();
  const int src = (lane & ~(width - 1)) | ((lane ^ mask) & (width - 1));
  const float r = w->vals[src];
  w->bar.arrive_and_wait();
  return r;
}
