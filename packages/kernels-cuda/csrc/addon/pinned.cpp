#include "pinned.h"

#include <cuda_runtime.h>

#include <string>

#include "allocator.h"
#include "errors.h"

namespace sscan {
namespace addon {

PinnedPool::~PinnedPool() {
  EmptyCache();
}

void* PinnedPool::Acquire(size_t bytes, size_t* capacity, const char* op) {
  const size_t cls = CachingAllocator::SizeClass(bytes == 0 ? 1 : bytes);
  *capacity = cls;
  auto it = free_.find(cls);
  if (it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= cls;
    return p;
  }
  void* p = nullptr;
  cudaError_t err = cudaMallocHost(&p, cls);
  if (err == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();
    EmptyCache();
    err = cudaMallocHost(&p, cls);
  }
  SSCAN_CUDA_CHECK(op, "cudaMallocHost(" + std::to_string(cls) + " bytes) for a staging buffer",
                   err);
  return p;
}

void PinnedPool::Release(void* ptr, size_t capacity) {
  if (cached_bytes_ + capacity > kMaxCached) {
    (void)cudaFreeHost(ptr);  // nothing to report to: the copy itself already succeeded
    (void)cudaGetLastError();
    return;
  }
  free_[capacity].push_back(ptr);
  cached_bytes_ += capacity;
}

void PinnedPool::EmptyCache() {
  for (auto& entry : free_) {
    for (void* p : entry.second) (void)cudaFreeHost(p);
  }
  free_.clear();
  cached_bytes_ = 0;
  (void)cudaGetLastError();
}

}  // namespace addon
}  // namespace sscan
