#include "allocator.h"

#include <string>

#include "errors.h"

namespace sscan {
namespace addon {

namespace {
constexpr size_t kSmallStep = 512;
constexpr size_t kSmallLimit = size_t{1} << 20;

std::string Mib(uint64_t bytes) {
  char buf[48];
  snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}
}  // namespace

CachingAllocator::~CachingAllocator() {
  // Runs at environment teardown, possibly while the process exits and the CUDA runtime is
  // already unloading: errors are ignored on purpose, there is no one left to report to.
  for (auto& entry : free_) {
    for (void* p : entry.second) (void)cudaFree(p);
  }
  (void)cudaGetLastError();
}

size_t CachingAllocator::SizeClass(size_t bytes) {
  if (bytes <= kSmallLimit) return (bytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  size_t pow2 = kSmallLimit;
  while (pow2 <= bytes / 2) pow2 *= 2;  // largest power of two <= bytes
  size_t step = pow2 / 4;
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::Allocate(size_t bytes, size_t* capacity, const char* op) {
  const size_t cls = SizeClass(bytes);
  *capacity = cls;
  void* ptr = nullptr;
  auto it = free_.find(cls);
  if (it != free_.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
    stats_.cached_bytes -= cls;
    stats_.cached_blocks -= 1;
    stats_.cache_hits += 1;
  } else {
    cudaError_t err = cudaMalloc(&ptr, cls);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      stats_.oom_retries += 1;
      EmptyCache(op);
      err = cudaMalloc(&ptr, cls);
    }
    if (err != cudaSuccess) {
      std::string what = "cudaMalloc(" + std::to_string(cls) + " bytes) on device " +
                         std::to_string(device_) + " (live " + Mib(stats_.live_capacity) +
                         ", cache already emptied)";
      (void)cudaGetLastError();
      ThrowCuda(err, op, what, __FILE__, __LINE__);
    }
    stats_.device_mallocs += 1;
  }
  stats_.allocations += 1;
  stats_.live_bytes += bytes;
  stats_.live_blocks += 1;
  stats_.live_capacity += cls;
  if (stats_.live_bytes > stats_.peak_live_bytes) stats_.peak_live_bytes = stats_.live_bytes;
  return ptr;
}

void CachingAllocator::Release(void* ptr, size_t bytes, size_t capacity) {
  stats_.live_bytes -= bytes;
  stats_.live_blocks -= 1;
  stats_.live_capacity -= capacity;
  free_[capacity].push_back(ptr);
  stats_.cached_bytes += capacity;
  stats_.cached_blocks += 1;
}

uint64_t CachingAllocator::EmptyCache(const char* op) {
  if (stats_.cached_blocks == 0) return 0;
  // Blocks in the cache may still be read by work in flight (see allocator.h): drain first.
  SSCAN_CUDA_CHECK(op, "cudaStreamSynchronize before emptying the cache",
                   cudaStreamSynchronize(stream_));
  uint64_t freed = 0;
  for (auto it = free_.begin(); it != free_.end();) {
    while (!it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      stats_.cached_bytes -= it->first;
      stats_.cached_blocks -= 1;
      freed += it->first;
      SSCAN_CUDA_CHECK(op, "cudaFree of a cached block", cudaFree(p));
    }
    it = free_.erase(it);
  }
  return freed;
}

}  // namespace addon
}  // namespace sscan
