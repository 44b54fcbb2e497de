// Device memory as JS sees it: malloc/free by handle, statistics, emptying the cache.
#include <string>

#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "runtime.h"

namespace sscan {
namespace addon {

namespace {

// malloc(device: number, bytes: number | bigint): bigint
Napi::Value Malloc(const Napi::CallbackInfo& info) {
  const char* op = "malloc";
  Runtime& rt = Runtime::Of(info.Env());
  const int64_t device = ArgInt(info, 0, op, "device", 0, 1 << 20);
  const uint64_t bytes = ArgBytes(info, 1, op, "bytes");
  const uint64_t handle = rt.Allocate(static_cast<int>(device), bytes, op);
  return Napi::BigInt::New(info.Env(), handle);
}

// free(handle: bigint): void. A second free of the same handle is a RangeError.
Napi::Value Free(const Napi::CallbackInfo& info) {
  Runtime& rt = Runtime::Of(info.Env());
  rt.Free(ArgHandle(info, 0, "free", "handle"), "free");
  return info.Env().Undefined();
}

// allocationInfo(handle: bigint): { device, bytes } — throws for a freed handle.
Napi::Value AllocationInfo(const Napi::CallbackInfo& info) {
  const char* op = "allocationInfo";
  Runtime& rt = Runtime::Of(info.Env());
  const Allocation& a = rt.Lookup(ArgHandle(info, 0, op, "handle"), op, "handle");
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("device", Napi::Number::New(info.Env(), a.device));
  o.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(a.bytes)));
  return o;
}

// memoryStats(device: number): MemoryStats. A device never used reports zeros without
// creating a CUDA context on it.
Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  const char* op = "memoryStats";
  Runtime& rt = Runtime::Of(info.Env());
  const int n = rt.DeviceCount(op);
  const int64_t device = ArgInt(info, 0, op, "device", 0, n > 0 ? n - 1 : 0);
  AllocatorStats s;
  if (device < n && rt.devices()[static_cast<size_t>(device)]) {
    s = rt.devices()[static_cast<size_t>(device)]->allocator->stats();
  }
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, uint64_t v) {
    o.Set(k, Napi::Number::New(env, static_cast<double>(v)));
  };
  num("liveBytes", s.live_bytes);
  num("liveBlocks", s.live_blocks);
  num("reservedBytes", s.live_capacity + s.cached_bytes);
  num("cachedBytes", s.cached_bytes);
  num("cachedBlocks", s.cached_blocks);
  num("peakLiveBytes", s.peak_live_bytes);
  num("allocations", s.allocations);
  num("cacheHits", s.cache_hits);
  num("deviceMallocs", s.device_mallocs);
  num("oomRetries", s.oom_retries);
  num("pinnedCachedBytes", rt.pinned().cached_bytes());
  num("pinnedInFlightBytes", rt.pinned().in_flight_bytes());
  return o;
}

// emptyCache(device?: number): number — cudaFree every cached block (of one device, or of
// every device used so far) and the pinned staging buffers; returns the device bytes freed.
Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  const char* op = "emptyCache";
  Runtime& rt = Runtime::Of(info.Env());
  uint64_t freed = 0;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    const int64_t device = ArgInt(info, 0, op, "device", 0, 1 << 20);
    freed += rt.Device(device, op).allocator->EmptyCache(op);
  } else {
    for (const auto& d : rt.devices()) {
      if (d) freed += rt.Device(d->device, op).allocator->EmptyCache(op);
    }
  }
  rt.pinned().EmptyCache();
  return Napi::Number::New(info.Env(), static_cast<double>(freed));
}

}  // namespace

void RegisterMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("malloc", Napi::Function::New<Export<Malloc>>(env, "malloc"));
  exports.Set("free", Napi::Function::New<Export<Free>>(env, "free"));
  exports.Set("allocationInfo", Napi::Function::New<Export<AllocationInfo>>(env, "allocationInfo"));
  exports.Set("memoryStats", Napi::Function::New<Export<MemoryStats>>(env, "memoryStats"));
  exports.Set("emptyCache", Napi::Function::New<Export<EmptyCache>>(env, "emptyCache"));
}

}  // namespace addon
}  // namespace sscan
