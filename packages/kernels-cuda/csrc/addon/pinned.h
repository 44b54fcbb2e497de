// Page-locked host staging buffers for asynchronous device->host copies. A copy into
// pageable memory (a JS ArrayBuffer) cannot run asynchronously, and writing into the JS
// buffer from another thread would race with JS detaching it; so the copy lands in pinned
// memory at enqueue time and is moved into the JS buffer on the main thread once done.
// cudaMallocHost is slow (it maps pages), so freed buffers are kept, up to kMaxCached.
#pragma once

#include <cstddef>
#include <map>
#include <vector>

namespace sscan {
namespace addon {

class PinnedPool {
 public:
  PinnedPool() = default;
  ~PinnedPool();
  PinnedPool(const PinnedPool&) = delete;
  PinnedPool& operator=(const PinnedPool&) = delete;

  // Throws ERR_SSCAN_OUT_OF_MEMORY (after emptying the pool once) if none can be had.
  void* Acquire(size_t bytes, size_t* capacity, const char* op);
  void Release(void* ptr, size_t capacity);
  void EmptyCache();
  size_t cached_bytes() const { return cached_bytes_; }

 private:
  static constexpr size_t kMaxCached = size_t{256} << 20;
  std::map<size_t, std::vector<void*>> free_;
  size_t cached_bytes_ = 0;
};

}  // namespace addon
}  // namespace sscan
