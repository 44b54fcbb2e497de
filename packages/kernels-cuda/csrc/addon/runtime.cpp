#include "runtime.h"

#include <string>

#include "blas_loader.h"
#include "errors.h"

namespace sscan {
namespace addon {

Runtime& Runtime::Of(Napi::Env env) {
  Runtime* rt = env.GetInstanceData<Runtime>();
  if (rt == nullptr) {
    ThrowFailure("ERR_SSCAN_INTERNAL", "sscan_cuda", "the addon was not initialised", __FILE__,
                 __LINE__);
  }
  return *rt;
}

Runtime::~Runtime() {
  // Environment teardown (process exit or a worker ending). The CUDA runtime may already be
  // unloading, so errors are ignored: the process is going away and the driver reclaims it.
  for (auto& entry : live_) {
    if (entry.second.ptr != nullptr) (void)cudaFree(entry.second.ptr);
  }
  live_.clear();
  for (auto& d : devices_) {
    if (!d) continue;
    BlasDestroyHandle(*d);
    d->allocator.reset();
    if (d->stream != nullptr) (void)cudaStreamDestroy(d->stream);
  }
  (void)cudaGetLastError();
}

int Runtime::DeviceCount(const char* op) {
  if (device_count_ < 0) {
    int n = 0;
    SSCAN_CUDA_CHECK(op, "cudaGetDeviceCount", cudaGetDeviceCount(&n));
    device_count_ = n;
    devices_.resize(static_cast<size_t>(n));
  }
  return device_count_;
}

DeviceState& Runtime::Device(int64_t device, const char* op) {
  const int n = DeviceCount(op);
  if (device < 0 || device >= n) {
    ThrowArg(JsErrorKind::RangeError, op, "device",
             "a device index in [0, " + std::to_string(n) + ")", std::to_string(device),
             __FILE__, __LINE__);
  }
  const int dev = static_cast<int>(device);
  if (current_device_ != dev) {
    SSCAN_CUDA_CHECK(op, "cudaSetDevice(" + std::to_string(dev) + ")", cudaSetDevice(dev));
    current_device_ = dev;
  }
  auto& slot = devices_[static_cast<size_t>(dev)];
  if (!slot) {
    auto state = std::make_unique<DeviceState>();
    state->device = dev;
    // Non-blocking: never implicitly synchronised with the legacy default stream, which
    // other libraries in the process may use.
    SSCAN_CUDA_CHECK(op, "cudaStreamCreateWithFlags on device " + std::to_string(dev),
                     cudaStreamCreateWithFlags(&state->stream, cudaStreamNonBlocking));
    state->allocator = std::make_unique<CachingAllocator>(dev, state->stream);
    slot = std::move(state);
  }
  return *slot;
}

uint64_t Runtime::Allocate(int device, size_t bytes, const char* op) {
  DeviceState& d = Device(device, op);
  Allocation a{device, nullptr, bytes, 0};
  if (bytes > 0) a.ptr = d.allocator->Allocate(bytes, &a.capacity, op);
  const uint64_t handle = next_handle_++;
  live_.emplace(handle, a);
  return handle;
}

void Runtime::Free(uint64_t handle, const char* op) {
  auto it = live_.find(handle);
  if (it == live_.end()) {
    ThrowFailure("ERR_SSCAN_INVALID_HANDLE", op,
                 "handle " + std::to_string(handle) +
                     " is not a live allocation (already freed, or never returned by malloc)",
                 __FILE__, __LINE__);
  }
  Allocation a = it->second;
  live_.erase(it);
  if (a.ptr != nullptr) {
    devices_[static_cast<size_t>(a.device)]->allocator->Release(a.ptr, a.bytes, a.capacity);
  }
}

const Allocation& Runtime::Lookup(uint64_t handle, const char* op, const char* arg) const {
  auto it = live_.find(handle);
  if (it == live_.end()) {
    ThrowFailure("ERR_SSCAN_INVALID_HANDLE", op,
                 std::string("argument '") + arg + "': handle " + std::to_string(handle) +
                     " is not a live allocation (already freed, or never returned by malloc)",
                 __FILE__, __LINE__);
  }
  return it->second;
}

void* Runtime::Resolve(uint64_t handle, uint64_t offset, uint64_t bytes, int device,
                       size_t align, const char* op, const char* arg) const {
  const Allocation& a = Lookup(handle, op, arg);
  if (a.device != device) {
    ThrowArg(JsErrorKind::RangeError, op, arg, "memory on device " + std::to_string(device),
             "memory on device " + std::to_string(a.device), __FILE__, __LINE__);
  }
  // Written so that no sum can overflow: offset <= size, then bytes <= size - offset.
  if (offset > a.bytes || bytes > a.bytes - offset) {
    ThrowArg(JsErrorKind::RangeError, op, arg,
             std::to_string(bytes) + " bytes at byte offset " + std::to_string(offset) +
                 " inside its allocation",
             "an allocation of " + std::to_string(a.bytes) + " bytes", __FILE__, __LINE__);
  }
  if (align > 1 && offset % align != 0) {
    ThrowArg(JsErrorKind::RangeError, op, arg,
             "a byte offset that is a multiple of " + std::to_string(align),
             std::to_string(offset), __FILE__, __LINE__);
  }
  if (a.ptr == nullptr) return nullptr;  // zero bytes: nothing will be touched
  return static_cast<uint8_t*>(a.ptr) + offset;
}

}  // namespace addon
}  // namespace sscan
