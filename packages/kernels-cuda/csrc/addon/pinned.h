// Page-locked host staging buffers, so that copies between JS memory (pageable) and the
// device never make the host wait for the stream:
//  - device->host async: the copy lands in pinned memory at enqueue time and is moved into
//    the JS buffer on the main thread once done (writing the JS buffer from another thread
//    would race with JS detaching it);
//  - host->device: the JS bytes are copied into pinned memory and the DMA is queued from
//    there. From pageable memory the driver may first wait for the stream to drain (CUDA's
//    "API synchronization behavior"), which would stall JS behind every queued kernel.
// A buffer whose copy is still queued is kept "in flight" with an event, and reused only
// once the event has completed. cudaMallocHost is slow (it maps pages), so freed buffers are
// kept, up to kMaxCached.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <map>
#include <vector>

namespace sscan {
namespace addon {

class PinnedPool {
 public:
  // Beyond this many bytes of queued staging copies, host->device copies go direct.
  static constexpr size_t kMaxInFlight = size_t{512} << 20;

  PinnedPool() = default;
  ~PinnedPool();
  PinnedPool(const PinnedPool&) = delete;
  PinnedPool& operator=(const PinnedPool&) = delete;

  // Throws ERR_SSCAN_OUT_OF_MEMORY (after emptying the pool once) if none can be had.
  void* Acquire(size_t bytes, size_t* capacity, const char* op);
  // For a buffer no queued copy uses any more.
  void Release(void* ptr, size_t capacity);
  // For a buffer a queued copy still reads: reusable once `done` has completed. Takes the
  // event (destroyed here).
  void ReleaseAfter(void* ptr, size_t capacity, cudaEvent_t done);
  void EmptyCache();
  size_t cached_bytes() const { return cached_bytes_; }
  size_t in_flight_bytes() const { return in_flight_bytes_; }

 private:
  struct InFlight {
    void* ptr;
    size_t capacity;
    cudaEvent_t done;
  };
  // Moves buffers whose copies have finished to the free lists.
  void Reclaim();

  static constexpr size_t kMaxCached = size_t{256} << 20;
  std::map<size_t, std::vector<void*>> free_;
  std::vector<InFlight> in_flight_;
  size_t cached_bytes_ = 0;
  size_t in_flight_bytes_ = 0;
};

}  // namespace addon
}  // namespace sscan
