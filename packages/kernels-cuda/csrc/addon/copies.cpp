// Copies and synchronisation. All work goes on the device's one stream, so copies are
// ordered after the kernels enqueued before them. The host waits only where data comes back
// to it: copyToHost (blocking) and copyToHostAsync / synchronizeAsync (a Promise, waited
// for on a libuv worker thread so the event loop keeps running). Host->device copies are
// staged through pinned memory so they never wait for the stream (see pinned.h).
#include <cstring>
#include <string>

#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "runtime.h"

namespace sscan {
namespace addon {

namespace {

cudaEvent_t RecordEvent(DeviceState& d, const char* op) {
  cudaEvent_t ev = nullptr;
  SSCAN_CUDA_CHECK(op, "cudaEventCreateWithFlags",
                   cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
  cudaError_t err = cudaEventRecord(ev, d.stream);
  if (err != cudaSuccess) {
    (void)cudaEventDestroy(ev);
    SSCAN_CUDA_CHECK(op, "cudaEventRecord", err);
  }
  return ev;
}

// Below this size the driver copies pageable memory through its own command buffer without
// waiting for the stream, so staging would only add a host memcpy.
constexpr size_t kStageFromBytes = size_t{64} << 10;

// copyFromHost(handle, byteOffset, src: ArrayBufferView): void
// Returns once `src` may be reused, without waiting for the stream: large copies are staged
// through pinned memory (see pinned.h); small ones the driver stages itself.
Napi::Value CopyFromHost(const Napi::CallbackInfo& info) {
  const char* op = "copyFromHost";
  Runtime& rt = Runtime::Of(info.Env());
  const uint64_t handle = ArgHandle(info, 0, op, "handle");
  const uint64_t offset = ArgBytes(info, 1, op, "byteOffset");
  const HostBytes src = ArgHostView(info, 2, op, "src");
  const Allocation& a = rt.Lookup(handle, op, "handle");
  DeviceState& d = rt.Device(a.device, op);
  void* dst = rt.Resolve(handle, offset, src.size, a.device, 1, op, "handle");
  if (src.size == 0) return info.Env().Undefined();
  const std::string what = "cudaMemcpyAsync(host to device, " + std::to_string(src.size) + " bytes)";
  PinnedPool& pool = rt.pinned();
  if (src.size < kStageFromBytes || pool.in_flight_bytes() + src.size > PinnedPool::kMaxInFlight) {
    SSCAN_CUDA_CHECK(op, what,
                     cudaMemcpyAsync(dst, src.data, src.size, cudaMemcpyHostToDevice, d.stream));
    return info.Env().Undefined();
  }
  size_t capacity = 0;
  void* staging = pool.Acquire(src.size, &capacity, op);
  std::memcpy(staging, src.data, src.size);
  cudaError_t err = cudaMemcpyAsync(dst, staging, src.size, cudaMemcpyHostToDevice, d.stream);
  if (err != cudaSuccess) {
    pool.Release(staging, capacity);  // nothing was queued
    SSCAN_CUDA_CHECK(op, what, err);
  }
  cudaEvent_t done = nullptr;
  try {
    done = RecordEvent(d, op);
  } catch (...) {
    // Without an event we cannot know when the DMA is done: wait for it, then reuse.
    (void)cudaStreamSynchronize(d.stream);
    pool.Release(staging, capacity);
    throw;
  }
  pool.ReleaseAfter(staging, capacity, done);
  return info.Env().Undefined();
}

// copyToHost(handle, byteOffset, dst: ArrayBufferView): void — blocks until dst is filled.
Napi::Value CopyToHost(const Napi::CallbackInfo& info) {
  const char* op = "copyToHost";
  Runtime& rt = Runtime::Of(info.Env());
  const uint64_t handle = ArgHandle(info, 0, op, "handle");
  const uint64_t offset = ArgBytes(info, 1, op, "byteOffset");
  const HostBytes dst = ArgHostView(info, 2, op, "dst");
  const Allocation& a = rt.Lookup(handle, op, "handle");
  DeviceState& d = rt.Device(a.device, op);
  const void* src = rt.Resolve(handle, offset, dst.size, a.device, 1, op, "handle");
  if (dst.size > 0) {
    SSCAN_CUDA_CHECK(op,
                     "cudaMemcpyAsync(device to host, " + std::to_string(dst.size) + " bytes)",
                     cudaMemcpyAsync(dst.data, src, dst.size, cudaMemcpyDeviceToHost, d.stream));
  }
  SSCAN_CUDA_CHECK(op,
                   "cudaStreamSynchronize (errors of earlier asynchronous kernels surface here)",
                   cudaStreamSynchronize(d.stream));
  return info.Env().Undefined();
}

// Waits for an event on a libuv worker thread, then (on the main thread) moves the pinned
// staging buffer, if any, into the JS destination and settles the promise.
class EventWaiter : public Napi::AsyncWorker {
 public:
  EventWaiter(Napi::Env env, const char* op, int device, cudaEvent_t event)
      : Napi::AsyncWorker(env, op), op_(op), device_(device), event_(event),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  void SetStaging(Napi::Value dst, void* pinned, size_t capacity, size_t bytes) {
    dst_ = Napi::Persistent(dst);
    pinned_ = pinned;
    pinned_capacity_ = capacity;
    bytes_ = bytes;
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    // The current device is per thread; this pool thread may never have set it.
    err_ = cudaSetDevice(device_);
    if (err_ == cudaSuccess) err_ = cudaEventSynchronize(event_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Runtime& rt = Runtime::Of(env);
    (void)cudaEventDestroy(event_);
    try {
      if (err_ != cudaSuccess) {
        ThrowCuda(err_, op_,
                  "waiting for the stream (errors of earlier asynchronous kernels surface here)",
                  __FILE__, __LINE__);
      }
      if (pinned_ != nullptr || !dst_.IsEmpty()) {
        const HostBytes dst = ViewBytes(dst_.Value());
        if (dst.size != bytes_) {
          ThrowFailure("ERR_SSCAN_INVALID_ARG", op_,
                       "the destination view changed size while the copy ran (detached or "
                       "resized ArrayBuffer: " + std::to_string(bytes_) + " bytes expected, " +
                           std::to_string(dst.size) + " found)",
                       __FILE__, __LINE__);
        }
        if (bytes_ > 0) std::memcpy(dst.data, pinned_, bytes_);
      }
      ReleaseStaging(rt);
      deferred_.Resolve(dst_.IsEmpty() ? env.Undefined() : dst_.Value());
    } catch (const Failure& f) {
      ReleaseStaging(rt);
      deferred_.Reject(MakeJsError(env, f).Value());
    }
  }

 private:
  static HostBytes ViewBytes(Napi::Value v) {
    if (v.IsTypedArray()) {
      auto ta = v.As<Napi::TypedArray>();
      return HostBytes{static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset(),
                       ta.ByteLength()};
    }
    auto dv = v.As<Napi::DataView>();
    return HostBytes{static_cast<uint8_t*>(dv.ArrayBuffer().Data()) + dv.ByteOffset(),
                     dv.ByteLength()};
  }
  void ReleaseStaging(Runtime& rt) {
    if (pinned_ != nullptr) rt.pinned().Release(pinned_, pinned_capacity_);
    pinned_ = nullptr;
  }

  const char* op_;
  int device_;
  cudaEvent_t event_;
  cudaError_t err_ = cudaSuccess;
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Value> dst_;
  void* pinned_ = nullptr;
  size_t pinned_capacity_ = 0;
  size_t bytes_ = 0;
};


// copyToHostAsync(handle, byteOffset, dst: ArrayBufferView): Promise<dst>
// The copy is enqueued now (so it sees exactly the work enqueued before it) into pinned
// staging memory; dst is filled on the main thread when the stream reaches it.
Napi::Value CopyToHostAsync(const Napi::CallbackInfo& info) {
  const char* op = "copyToHostAsync";
  Runtime& rt = Runtime::Of(info.Env());
  const uint64_t handle = ArgHandle(info, 0, op, "handle");
  const uint64_t offset = ArgBytes(info, 1, op, "byteOffset");
  const HostBytes dst = ArgHostView(info, 2, op, "dst");
  const Allocation& a = rt.Lookup(handle, op, "handle");
  DeviceState& d = rt.Device(a.device, op);
  const void* src = rt.Resolve(handle, offset, dst.size, a.device, 1, op, "handle");
  size_t capacity = 0;
  void* pinned = rt.pinned().Acquire(dst.size, &capacity, op);
  cudaEvent_t ev = nullptr;
  try {
    if (dst.size > 0) {
      SSCAN_CUDA_CHECK(op,
                       "cudaMemcpyAsync(device to pinned host, " + std::to_string(dst.size) +
                           " bytes)",
                       cudaMemcpyAsync(pinned, src, dst.size, cudaMemcpyDeviceToHost, d.stream));
    }
    ev = RecordEvent(d, op);
  } catch (...) {
    rt.pinned().Release(pinned, capacity);
    throw;
  }
  auto* worker = new EventWaiter(info.Env(), op, a.device, ev);  // deletes itself when done
  worker->SetStaging(info[2], pinned, capacity, dst.size);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// copyDeviceToDevice(dst, dstOffset, src, srcOffset, bytes): void (enqueued, no wait)
Napi::Value CopyDeviceToDevice(const Napi::CallbackInfo& info) {
  const char* op = "copyDeviceToDevice";
  Runtime& rt = Runtime::Of(info.Env());
  const uint64_t dst_h = ArgHandle(info, 0, op, "dst");
  const uint64_t dst_off = ArgBytes(info, 1, op, "dstOffset");
  const uint64_t src_h = ArgHandle(info, 2, op, "src");
  const uint64_t src_off = ArgBytes(info, 3, op, "srcOffset");
  const uint64_t bytes = ArgBytes(info, 4, op, "bytes");
  const Allocation& da = rt.Lookup(dst_h, op, "dst");
  DeviceState& d = rt.Device(da.device, op);
  void* dst = rt.Resolve(dst_h, dst_off, bytes, da.device, 1, op, "dst");
  const void* src = rt.Resolve(src_h, src_off, bytes, da.device, 1, op, "src");
  if (bytes == 0) return info.Env().Undefined();
  SSCAN_CUDA_CHECK(op, "cudaMemcpyAsync(device to device, " + std::to_string(bytes) + " bytes)",
                   cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, d.stream));
  return info.Env().Undefined();
}

// memset(handle, byteOffset, value: 0..255, bytes): void (enqueued, no wait)
Napi::Value Memset(const Napi::CallbackInfo& info) {
  const char* op = "memset";
  Runtime& rt = Runtime::Of(info.Env());
  const uint64_t handle = ArgHandle(info, 0, op, "handle");
  const uint64_t offset = ArgBytes(info, 1, op, "byteOffset");
  const int64_t value = ArgInt(info, 2, op, "value", 0, 255);
  const uint64_t bytes = ArgBytes(info, 3, op, "bytes");
  const Allocation& a = rt.Lookup(handle, op, "handle");
  DeviceState& d = rt.Device(a.device, op);
  void* dst = rt.Resolve(handle, offset, bytes, a.device, 1, op, "handle");
  if (bytes == 0) return info.Env().Undefined();
  SSCAN_CUDA_CHECK(op, "cudaMemsetAsync(" + std::to_string(bytes) + " bytes)",
                   cudaMemsetAsync(dst, static_cast<int>(value), bytes, d.stream));
  return info.Env().Undefined();
}

// synchronize(device): void — blocks until the device's stream is idle.
Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  const char* op = "synchronize";
  Runtime& rt = Runtime::Of(info.Env());
  DeviceState& d = rt.Device(ArgInt(info, 0, op, "device", 0, 1 << 20), op);
  SSCAN_CUDA_CHECK(op,
                   "cudaStreamSynchronize (errors of earlier asynchronous kernels surface here)",
                   cudaStreamSynchronize(d.stream));
  return info.Env().Undefined();
}

// synchronizeAsync(device): Promise<void> — resolves once the stream has finished the work
// enqueued so far, without blocking the event loop.
Napi::Value SynchronizeAsync(const Napi::CallbackInfo& info) {
  const char* op = "synchronizeAsync";
  Runtime& rt = Runtime::Of(info.Env());
  DeviceState& d = rt.Device(ArgInt(info, 0, op, "device", 0, 1 << 20), op);
  cudaEvent_t ev = RecordEvent(d, op);
  auto* worker = new EventWaiter(info.Env(), op, d.device, ev);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterCopies(Napi::Env env, Napi::Object exports) {
  exports.Set("copyFromHost", Napi::Function::New<Export<CopyFromHost>>(env, "copyFromHost"));
  exports.Set("copyToHost", Napi::Function::New<Export<CopyToHost>>(env, "copyToHost"));
  exports.Set("copyToHostAsync",
              Napi::Function::New<Export<CopyToHostAsync>>(env, "copyToHostAsync"));
  exports.Set("copyDeviceToDevice",
              Napi::Function::New<Export<CopyDeviceToDevice>>(env, "copyDeviceToDevice"));
  exports.Set("memset", Napi::Function::New<Export<Memset>>(env, "memset"));
  exports.Set("synchronize", Napi::Function::New<Export<Synchronize>>(env, "synchronize"));
  exports.Set("synchronizeAsync",
              Napi::Function::New<Export<SynchronizeAsync>>(env, "synchronizeAsync"));
}

}  // namespace addon
}  // namespace sscan
