// What is there: the driver, the devices, and whether this binary runs on them.
//
// probe() never throws for a missing driver or GPU: it reports a status the JS loader turns
// into a reason and a fix. It dlopen()s libcuda.so.1 itself before the first CUDA runtime
// call, so "no driver" is told apart from "driver too old" (the runtime reports both as
// cudaErrorInsufficientDriver).
#include <dlfcn.h>

#include <string>

#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "probe_kernel.h"
#include "runtime.h"

#ifndef SSCAN_CUDA_ARCHS
#define SSCAN_CUDA_ARCHS "unknown"
#endif
#ifndef SSCAN_KERNEL_SOURCES
#define SSCAN_KERNEL_SOURCES ""
#endif
// The library whose absence means "no driver": CUDA's libcuda.so.1 by default. The ROCm build
// (packages/kernels-rocm/CMakeLists.txt) passes its HIP runtime's soname, libamdhip64.so.<N>.
#ifndef SSCAN_DRIVER_LIBRARY
#define SSCAN_DRIVER_LIBRARY "libcuda.so.1"
#endif

namespace sscan {
namespace addon {

namespace {

// Runs the probe kernel on `device`; returns the first CUDA error, or cudaErrorUnknown if
// the kernel ran but did not write what it should have.
cudaError_t TryKernel(int device) {
  cudaError_t err = cudaSetDevice(device);
  if (err != cudaSuccess) return err;
  int* d_out = nullptr;
  err = cudaMalloc(&d_out, sizeof(int));
  if (err != cudaSuccess) return err;
  int h_out = 0;
  err = LaunchProbeKernel(d_out, nullptr);
  if (err == cudaSuccess) err = cudaMemcpy(&h_out, d_out, sizeof(int), cudaMemcpyDeviceToHost);
  (void)cudaFree(d_out);
  if (err == cudaSuccess && h_out != kProbeValue) err = cudaErrorUnknown;
  return err;
}

Napi::Object Properties(Napi::Env env, int device, const char* op) {
  cudaDeviceProp p{};
  SSCAN_CUDA_CHECK(op, "cudaGetDeviceProperties(" + std::to_string(device) + ")",
                   cudaGetDeviceProperties(&p, device));
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", Napi::Number::New(env, device));
  o.Set("name", Napi::String::New(env, p.name));
#if defined(__HIP_PLATFORM_AMD__)
  // The target the code objects are matched against, e.g. "gfx90a:sramecc+:xnack-".
  o.Set("arch", Napi::String::New(env, p.gcnArchName));
#else
  o.Set("arch", Napi::String::New(env, "sm_" + std::to_string(p.major) + std::to_string(p.minor)));
#endif
  o.Set("computeCapability",
        Napi::String::New(env, std::to_string(p.major) + "." + std::to_string(p.minor)));
  o.Set("major", Napi::Number::New(env, p.major));
  o.Set("minor", Napi::Number::New(env, p.minor));
  o.Set("totalMemory", Napi::Number::New(env, static_cast<double>(p.totalGlobalMem)));
  o.Set("multiprocessors", Napi::Number::New(env, p.multiProcessorCount));
  o.Set("warpSize", Napi::Number::New(env, p.warpSize));
  o.Set("l2CacheBytes", Napi::Number::New(env, p.l2CacheSize));
  o.Set("sharedMemPerBlockOptin",
        Napi::Number::New(env, static_cast<double>(p.sharedMemPerBlockOptin)));
  char bus[32];
  snprintf(bus, sizeof bus, "%04x:%02x:%02x.0", p.pciDomainID, p.pciBusID, p.pciDeviceID);
  o.Set("pciBusId", Napi::String::New(env, bus));
  return o;
}

// probe(): ProbeReport — see index.d.ts. Throws only on internal errors.
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object r = Napi::Object::New(env);
  int runtime_version = 0;
  (void)cudaRuntimeGetVersion(&runtime_version);  // needs no driver
  r.Set("runtimeVersion", Napi::Number::New(env, runtime_version));
  auto fail = [&](const char* status, cudaError_t err, const std::string& message) {
    r.Set("status", Napi::String::New(env, status));
    if (err != cudaSuccess) r.Set("cudaError", Napi::String::New(env, cudaGetErrorName(err)));
    r.Set("message", Napi::String::New(env, message));
    (void)cudaGetLastError();
    return r;
  };

  // RTLD_LOCAL: only to learn whether it loads; the runtime opens it again for itself.
  void* driver = dlopen(SSCAN_DRIVER_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (driver == nullptr) {
    const char* why = dlerror();
    return fail("no-driver", cudaSuccess,
                std::string(SSCAN_DRIVER_LIBRARY " could not be loaded: ") + (why ? why : "unknown"));
  }
  int driver_version = 0;
  cudaError_t err = cudaDriverGetVersion(&driver_version);
  r.Set("driverVersion", Napi::Number::New(env, driver_version));
  if (err != cudaSuccess) return fail("cuda-error", err, "cudaDriverGetVersion failed");

  int count = 0;
  err = cudaGetDeviceCount(&count);
  if (err == cudaErrorInsufficientDriver || err == cudaErrorCompatNotSupportedOnDevice) {
    return fail("insufficient-driver", err,
                "the NVIDIA driver (CUDA " + std::to_string(driver_version / 1000) + "." +
                    std::to_string(driver_version % 1000 / 10) +
                    ") is older than this build needs (CUDA " +
                    std::to_string(runtime_version / 1000) + "." +
                    std::to_string(runtime_version % 1000 / 10) + ")");
  }
  if (err == cudaErrorNoDevice || (err == cudaSuccess && count == 0)) {
    return fail("no-device", err == cudaSuccess ? cudaErrorNoDevice : err,
                "the driver is loaded but sees no CUDA device");
  }
  if (err != cudaSuccess) return fail("cuda-error", err, "cudaGetDeviceCount failed");
  r.Set("deviceCount", Napi::Number::New(env, count));

  // TryKernel switches the current device; the runtime must not trust its cached one.
  Runtime::Of(env).ForgetCurrentDevice();
  Napi::Array devices = Napi::Array::New(env, static_cast<size_t>(count));
  int usable = 0;
  std::string first_failure;
  cudaError_t first_err = cudaSuccess;
  for (int i = 0; i < count; ++i) {
    Napi::Object d = Properties(env, i, "probe");
    cudaError_t kerr = TryKernel(i);
    d.Set("usable", Napi::Boolean::New(env, kerr == cudaSuccess));
    if (kerr != cudaSuccess) {
      d.Set("cudaError", Napi::String::New(env, cudaGetErrorName(kerr)));
      d.Set("message", Napi::String::New(env, cudaGetErrorString(kerr)));
      (void)cudaGetLastError();
      if (first_err == cudaSuccess) {
        first_err = kerr;
        first_failure = "device " + std::to_string(i) + " (" +
                        d.Get("name").As<Napi::String>().Utf8Value() + ", " +
                        d.Get("arch").As<Napi::String>().Utf8Value() + ")";
      }
    } else {
      size_t free_b = 0, total_b = 0;
      if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) {
        d.Set("freeMemory", Napi::Number::New(env, static_cast<double>(free_b)));
      }
      ++usable;
    }
    devices.Set(static_cast<uint32_t>(i), d);
  }
  r.Set("devices", devices);
  if (usable == 0) {
    const bool no_image = first_err == cudaErrorNoKernelImageForDevice ||
                          first_err == cudaErrorInvalidDeviceFunction ||
                          first_err == cudaErrorUnsupportedPtxVersion ||
                          first_err == cudaErrorInvalidKernelImage;
    return fail(no_image ? "no-kernel-image" : "cuda-error", first_err,
                first_failure + ": " + cudaGetErrorString(first_err) +
                    " (this binary holds code for: " + SSCAN_CUDA_ARCHS + ")");
  }
  r.Set("status", Napi::String::New(env, "ok"));
  return r;
}

// deviceCount(): number
Napi::Value DeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Runtime::Of(info.Env()).DeviceCount("deviceCount"));
}

// deviceProperties(device): DeviceProperties
Napi::Value DeviceProperties(const Napi::CallbackInfo& info) {
  const char* op = "deviceProperties";
  Runtime& rt = Runtime::Of(info.Env());
  const int n = rt.DeviceCount(op);
  const int64_t device = ArgInt(info, 0, op, "device", 0, n > 0 ? n - 1 : 0);
  if (device >= n) {
    ThrowArg(JsErrorKind::RangeError, op, "device", "a device index (none exist)", "0",
             __FILE__, __LINE__);
  }
  Napi::Object o = Properties(info.Env(), static_cast<int>(device), op);
  int v = 0;
  SSCAN_CUDA_CHECK(op, "cudaDriverGetVersion", cudaDriverGetVersion(&v));
  o.Set("driverVersion", Napi::Number::New(info.Env(), v));
  SSCAN_CUDA_CHECK(op, "cudaRuntimeGetVersion", cudaRuntimeGetVersion(&v));
  o.Set("runtimeVersion", Napi::Number::New(info.Env(), v));
  return o;
}

Napi::Object BuildInfo(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("cudaArchitectures", Napi::String::New(env, SSCAN_CUDA_ARCHS));
  o.Set("cudaVersion", Napi::Number::New(env, CUDART_VERSION));
  o.Set("kernelSources", Napi::String::New(env, SSCAN_KERNEL_SOURCES));
  o.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return o;
}

}  // namespace

void RegisterDevices(Napi::Env env, Napi::Object exports) {
  exports.Set("probe", Napi::Function::New<Export<Probe>>(env, "probe"));
  exports.Set("deviceCount", Napi::Function::New<Export<DeviceCount>>(env, "deviceCount"));
  exports.Set("deviceProperties",
              Napi::Function::New<Export<DeviceProperties>>(env, "deviceProperties"));
  exports.Set("buildInfo", BuildInfo(env));
}

}  // namespace addon
}  // namespace sscan
