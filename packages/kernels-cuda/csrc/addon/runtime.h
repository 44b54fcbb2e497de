// The addon's state for one JS environment (the main thread or one worker thread): per
// device a stream and a caching allocator, created on first use, and the table of live
// allocations that JS refers to by handle.
//
// Handles, not raw addresses, cross into JS: a handle is a BigInt that is never reused, so a
// freed or made-up handle is looked up, not found, and reported as a RangeError instead of
// being dereferenced. Every pointer a kernel receives is resolved here, with its byte offset
// and the byte count the kernel will touch checked against the allocation's size.
#pragma once

#include <cuda_runtime.h>
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "allocator.h"
#include "pinned.h"

namespace sscan {
namespace addon {

struct Allocation {
  int device;
  void* ptr;        // null for zero-byte allocations
  size_t bytes;     // as asked for: the bound every access is checked against
  size_t capacity;  // as rounded up by the allocator
};

struct DeviceState {
  int device = 0;
  cudaStream_t stream = nullptr;  // the device's one stream: all work is ordered on it
  std::unique_ptr<CachingAllocator> allocator;
  void* blas_handle = nullptr;  // cuBLAS/rocBLAS handle bound to `stream` (blas_loader.cpp)
};

class Runtime {
 public:
  Runtime() = default;
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  static Runtime& Of(Napi::Env env);

  int DeviceCount(const char* op);
  // Validates `device`, makes it current on this thread, creates its stream and allocator on
  // first use.
  DeviceState& Device(int64_t device, const char* op);
  // The states created so far (for memoryStats / emptyCache over all devices).
  const std::vector<std::unique_ptr<DeviceState>>& devices() const { return devices_; }

  uint64_t Allocate(int device, size_t bytes, const char* op);
  void Free(uint64_t handle, const char* op);
  const Allocation& Lookup(uint64_t handle, const char* op, const char* arg) const;

  // Device pointer for bytes [offset, offset + bytes) of `handle`, which must live on
  // `device`; the offset must be a multiple of `align`. Throws naming `op` and `arg`.
  void* Resolve(uint64_t handle, uint64_t offset, uint64_t bytes, int device, size_t align,
                const char* op, const char* arg) const;

  // Someone else (the probe) changed this thread's current device: set it again next time.
  void ForgetCurrentDevice() { current_device_ = -1; }

  PinnedPool& pinned() { return pinned_; }
  size_t live_count() const { return live_.size(); }

 private:
  int device_count_ = -1;
  int current_device_ = -1;
  std::vector<std::unique_ptr<DeviceState>> devices_;
  std::unordered_map<uint64_t, Allocation> live_;
  uint64_t next_handle_ = 1;
  PinnedPool pinned_;
};

}  // namespace addon
}  // namespace sscan
