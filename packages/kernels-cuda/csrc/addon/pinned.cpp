#include "pinned.h"

#include <string>

#include "allocator.h"
#include "errors.h"

namespace sscan {
namespace addon {

PinnedPool::~PinnedPool() {
  // Teardown: wait for queued copies before freeing what they read; errors are ignored, the
  // process is going away.
  for (const InFlight& f : in_flight_) {
    (void)cudaEventSynchronize(f.done);
    (void)cudaEventDestroy(f.done);
    (void)cudaFreeHost(f.ptr);
  }
  in_flight_.clear();
  EmptyCache();
}

void PinnedPool::Reclaim() {
  size_t kept = 0;
  for (size_t i = 0; i < in_flight_.size(); ++i) {
    InFlight f = in_flight_[i];
    const cudaError_t err = cudaEventQuery(f.done);
    if (err == cudaErrorNotReady) {
      (void)cudaGetLastError();  // not an error: keep it from reaching a launch check
      in_flight_[kept++] = f;
      continue;
    }
    // Done, or the context failed (then no copy is running either): reusable.
    (void)cudaEventDestroy(f.done);
    in_flight_bytes_ -= f.capacity;
    Release(f.ptr, f.capacity);
  }
  in_flight_.resize(kept);
}

void* PinnedPool::Acquire(size_t bytes, size_t* capacity, const char* op) {
  if (!in_flight_.empty()) Reclaim();
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
  // With unified addressing (every 64-bit process) pinned memory is portable: any device's
  // stream may copy from it, so one pool serves all devices.
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

void PinnedPool::ReleaseAfter(void* ptr, size_t capacity, cudaEvent_t done) {
  in_flight_.push_back(InFlight{ptr, capacity, done});
  in_flight_bytes_ += capacity;
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
