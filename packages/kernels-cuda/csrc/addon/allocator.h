// The caching device allocator: one per device. cudaMalloc and cudaFree are slow (cudaFree
// also synchronises the device), and a training step allocates and frees the same sizes
// every iteration, so freed blocks go to a per-size-class free list and are handed out again.
//
// Reuse is safe without events because each device has exactly one stream and every
// operation on a block is enqueued there: a block freed while a kernel still reads it can
// only be reused by work enqueued after that kernel, on the same stream.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace sscan {
namespace addon {

struct AllocatorStats {
  uint64_t live_bytes = 0;       // bytes asked for by live allocations
  uint64_t live_blocks = 0;
  uint64_t live_capacity = 0;    // their rounded-up size
  uint64_t cached_bytes = 0;     // freed blocks kept for reuse
  uint64_t cached_blocks = 0;
  uint64_t peak_live_bytes = 0;
  uint64_t allocations = 0;      // successful Allocate calls
  uint64_t cache_hits = 0;       // of which served from the cache
  uint64_t device_mallocs = 0;   // cudaMalloc calls that succeeded
  uint64_t oom_retries = 0;      // cudaMalloc out of memory, cache emptied and retried
};

class CachingAllocator {
 public:
  CachingAllocator(int device, cudaStream_t stream) : device_(device), stream_(stream) {}
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // The rounded size a request of `bytes` occupies: multiples of 512 B up to 1 MiB, then
  // quarter steps of the power of two below (at most 25% waste, few distinct classes).
  static size_t SizeClass(size_t bytes);

  // Returns device memory of at least `bytes` (its capacity in *capacity). On out of memory
  // empties the cache and retries once; then throws ERR_SSCAN_OUT_OF_MEMORY. The device
  // must be current. `op` names the JS operation for error messages.
  void* Allocate(size_t bytes, size_t* capacity, const char* op);
  // Returns a block to the cache (no cudaFree).
  void Release(void* ptr, size_t bytes, size_t capacity);
  // cudaFree every cached block (after the stream drains). Returns the bytes freed.
  uint64_t EmptyCache(const char* op);

  const AllocatorStats& stats() const { return stats_; }
  int device() const { return device_; }

 private:
  int device_;
  cudaStream_t stream_;
  std::map<size_t, std::vector<void*>> free_;  // size class -> cached blocks
  AllocatorStats stats_;
};

}  // namespace addon
}  // namespace sscan
