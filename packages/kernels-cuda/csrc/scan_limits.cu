// Device limits for the scan launchers (scan_limits.h), the launch-fit check (scan_plan.h) and
// the detail message behind a refused launch (selective_scan_error_detail).
#include "scan_limits.h"

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "portability.h"
#include "scan_plan.h"

namespace sscan {
namespace detail {

namespace {

thread_local std::string g_detail;

#if defined(__HIPCC__) || defined(SSCAN_EMU)
// Writes the warp width this device's code object was compiled for (portability.h: per GPU
// target under HIP).
__global__ void sscan_compiled_warp_kernel(int* out) { *out = kWarpSize; }
#endif

#if defined(SSCAN_EMU)
#define SSCAN_ATTR_WARP cudaDevAttrWarpSize
#define SSCAN_ATTR_SMEM cudaDevAttrMaxSharedMemoryPerBlockOptin
#define SSCAN_ATTR_THREADS cudaDevAttrMaxThreadsPerBlock
#define SSCAN_ATTR_SMS cudaDevAttrMultiProcessorCount
#define sscanGetDevice cudaGetDevice
#define sscanDeviceGetAttribute cudaDeviceGetAttribute
#elif defined(__HIPCC__)
// AMD has no opt-in LDS beyond the per-block limit (64 KiB on gfx9 and gfx10).
#define SSCAN_ATTR_WARP hipDeviceAttributeWarpSize
#define SSCAN_ATTR_SMEM hipDeviceAttributeMaxSharedMemoryPerBlock
#define SSCAN_ATTR_THREADS hipDeviceAttributeMaxThreadsPerBlock
#define SSCAN_ATTR_SMS hipDeviceAttributeMultiprocessorCount
#define sscanGetDevice hipGetDevice
#define sscanDeviceGetAttribute hipDeviceGetAttribute
#else
#define SSCAN_ATTR_WARP cudaDevAttrWarpSize
#define SSCAN_ATTR_SMEM cudaDevAttrMaxSharedMemoryPerBlockOptin
#define SSCAN_ATTR_THREADS cudaDevAttrMaxThreadsPerBlock
#define SSCAN_ATTR_SMS cudaDevAttrMultiProcessorCount
#define sscanGetDevice cudaGetDevice
#define sscanDeviceGetAttribute cudaDeviceGetAttribute
#endif

// The width the device code was compiled for, by running it (HIP and the emulator; on CUDA it
// is 32 in every compilation pass, so nothing needs to run).
sscanError_t compiled_warp(int* w) {
#if !defined(__HIPCC__) && !defined(SSCAN_EMU)
  *w = kWarpSize;
  return sscanSuccess;
#else
  int* d = nullptr;
  sscanError_t e = sscanMalloc(reinterpret_cast<void**>(&d), sizeof(int));
  if (e != sscanSuccess) return e;
  SSCAN_LAUNCH(sscan_compiled_warp_kernel, 1, 1, 0, 0, d);
  e = sscanGetLastError();
  if (e == sscanSuccess) e = sscanMemcpyDtoH(w, d, sizeof(int));
  (void)sscanFree(d);  // the result is the copy's; a failed free of 4 bytes changes nothing
  return e;
#endif
}

struct Entry {
  bool known = false;
  sscanError_t err = sscanSuccess;
  DeviceLimits lim{};
  std::string detail;
};

sscanError_t read_limits(int dev, Entry& en) {
  int warp = 0, smem = 0, threads = 0, sms = 0, compiled = 0;
  sscanError_t e;
  if ((e = sscanDeviceGetAttribute(&warp, SSCAN_ATTR_WARP, dev)) != sscanSuccess) return e;
  if ((e = sscanDeviceGetAttribute(&smem, SSCAN_ATTR_SMEM, dev)) != sscanSuccess) return e;
  if ((e = sscanDeviceGetAttribute(&threads, SSCAN_ATTR_THREADS, dev)) != sscanSuccess) return e;
  if ((e = sscanDeviceGetAttribute(&sms, SSCAN_ATTR_SMS, dev)) != sscanSuccess) return e;
  if ((e = compiled_warp(&compiled)) != sscanSuccess) return e;
  en.lim = DeviceLimits{warp, size_t(smem), threads, dev, sms};
  char msg[400];
  if (compiled != warp) {
    std::snprintf(msg, sizeof msg,
                  "sscan: device %d runs %d-wide warps but its kernels were compiled for %d-wide "
                  "ones (a wavefront-size compiler flag such as -mwavefrontsize64?); the scan "
                  "kernels would compute garbage, so they are not launched",
                  dev, warp, compiled);
    en.detail = msg;
    return sscanErrorNotSupported;
  }
  if (warp != 32 && warp != 64) {
    std::snprintf(msg, sizeof msg, "sscan: device %d has %d-wide warps; the scan kernels support 32 and 64",
                  dev, warp);
    en.detail = msg;
    return sscanErrorNotSupported;
  }
  return sscanSuccess;
}

}  // namespace

void set_error_detail(const char* msg) { g_detail = msg; }
void clear_error_detail() { g_detail.clear(); }

sscanError_t device_limits(DeviceLimits* out) {
  static std::mutex mu;
  static std::vector<Entry> cache;
  int dev = 0;
  sscanError_t e = sscanGetDevice(&dev);
  if (e != sscanSuccess) return e;
  std::lock_guard<std::mutex> lock(mu);
  if (size_t(dev) >= cache.size()) cache.resize(size_t(dev) + 1);
  Entry& en = cache[size_t(dev)];
  if (!en.known) {
    en.err = read_limits(dev, en);
    // a transient failure (say, out of memory for the 4-byte check) is not cached
    en.known = en.err == sscanSuccess || !en.detail.empty();
    if (!en.known) return en.err;
  }
  if (en.err != sscanSuccess) {
    g_detail = en.detail;
    return en.err;
  }
  *out = en.lim;
  return sscanSuccess;
}

DeviceLimits device_limits_or_default() {
  DeviceLimits lim;
  if (device_limits(&lim) == sscanSuccess) return lim;
  return DeviceLimits{kHostWarpSize, 48 * 1024, 1024, -1, 0};
}

sscanError_t check_launch(const Plan& pl, const char* op, const char* kernel, size_t smem, int threads,
                          int thread_bound) {
  const int max_threads = std::min(thread_bound, pl.lim.max_threads);
  if (smem <= pl.lim.smem_per_block && threads <= max_threads) return sscanSuccess;
  char msg[600];
  std::snprintf(msg, sizeof msg,
                "%s: the %s kernel needs %zu bytes of shared memory and %d threads per block "
                "(dstate %lld%s, %d-wide warps, %d-step tiles, %d states per thread); this device "
                "allows %zu bytes and the kernel %d threads, so it is not launched: this dstate does "
                "not fit this GPU (packages/kernels-rocm/README.md lists what fits where)",
                op, kernel, smem, threads, static_cast<long long>(pl.dstate), pl.cw == 2 ? " complex" : "",
                pl.warp, pl.tile, pl.ns, pl.lim.smem_per_block, max_threads);
  g_detail = msg;
  return sscanErrorLaunchOutOfResources;
}

}  // namespace detail

const char* selective_scan_error_detail() { return detail::g_detail.c_str(); }

}  // namespace sscan
