// Selective-scan kernel lab: check every feature combination against the float64 CPU twin,
// then time the benchmark shapes. Standalone (no Node).
//
// Build (from packages/kernels-cuda/dev):  make        -> ../../../.device/lab/scan_lab
// Run on the H200 (repo root):  .device/lab/scan_lab [check|large|bench|sweep|all] (default all).
//
// Without a GPU: `make emu && EMU_MAX_WORK=200000 build/scan_emu check` runs the same checks on
// the CPU emulator (emu/cuda_emu.h; EMU_MIN_WORK/EMU_MAX_WORK bound b*dim*L*N per case);
// `make emu-asan` adds AddressSanitizer (out-of-bounds kernel accesses abort with a report).
//
// Versions: the lab always checks and times exactly what the addon links: the real-A kernels
// (selective_scan_{fwd,bwd}_real.cu, v3 in docs/perf-notes.md) where they apply, the general
// ones (v2) elsewhere; SCAN_LAB_GENERAL=1 sends every case to the general kernels.
//
// Checks: fresh random inputs per case, outputs poisoned with NaN bytes before each launch,
// elementwise |got - ref| <= atol + rtol |ref| with tolerances from the issue (see tol()).
#include <algorithm>
#include <atomic>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../csrc/portability.h"
#include "../csrc/scan_device.cuh"
#include "../csrc/selective_scan.h"
#include "scan_ref_cpu.h"

#define CK(x)                                                                                   \
  do {                                                                                          \
    cudaError_t e_ = (x);                                                                       \
    if (e_ != cudaSuccess) {                                                                    \
      fprintf(stderr, "%s:%d: %s -> %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_));      \
      exit(1);                                                                                  \
    }                                                                                           \
  } while (0)

using namespace sscan;
using lab::cd;

static const char* dname(int t) { return t == 0 ? "f32" : t == 1 ? "f16" : "bf16"; }
static size_t dsize(int t) { return t == 0 ? 4 : 2; }
static double roundto(double v, int t) {
  float f = float(v);
  if (t == 1) return f16_to_float(float_to_f16(f));
  if (t == 2) return bf16_to_float(float_to_bf16(f));
  return f;
}
static void put(std::vector<char>& buf, size_t i, double v, int t) {
  if (t == 0) reinterpret_cast<float*>(buf.data())[i] = float(v);
  else if (t == 1) reinterpret_cast<uint16_t*>(buf.data())[i] = float_to_f16(float(v));
  else reinterpret_cast<uint16_t*>(buf.data())[i] = float_to_bf16(float(v));
}
static double get(const std::vector<char>& buf, size_t i, int t) {
  if (t == 0) return reinterpret_cast<const float*>(buf.data())[i];
  if (t == 1) return f16_to_float(reinterpret_cast<const uint16_t*>(buf.data())[i]);
  return bf16_to_float(reinterpret_cast<const uint16_t*>(buf.data())[i]);
}

struct DevBuf {
  void* p = nullptr;
  size_t n = 0;
  void alloc(size_t bytes) {
    n = bytes;
    if (bytes) CK(cudaMalloc(&p, bytes));
  }
  void up(const void* h) { if (n) CK(cudaMemcpy(p, h, n, cudaMemcpyHostToDevice)); }
  void poison() { if (n) CK(cudaMemset(p, 0xff, n)); }  // NaN in every float format
  std::vector<char> down() const {
    std::vector<char> h(n);
    if (n) CK(cudaMemcpy(h.data(), p, n, cudaMemcpyDeviceToHost));
    return h;
  }
  ~DevBuf() { if (p) cudaFree(p); }
};

struct Case {
  int dtype;
  bool cplx, varB, varC, hasD, hasZ, hasBias, softplus, hasInit, hasGradLast, useSaved;
  int64_t b, dim, L, N, groups;
  int fwd_cb = 0;  // detail::g_fwd_cb for this case: 0 the plan's choice, 16 or 8 forced
};

// Tolerances (issue): out by dtype; du 2x base; ddelta 5x rtol, 10x atol; dA/dD/dbias/dz
// 1e-3/5e-3 (at least base when z is used); variable dB/dC base, constant 1e-3/1e-3 (f32 sums).
struct Tol { double rtol, atol; };
static Tol base_tol(int t) { return t == 0 ? Tol{6e-4, 2e-3} : t == 1 ? Tol{3e-3, 5e-3} : Tol{3e-2, 5e-2}; }

struct Cmp {
  double worst = 0;  // max of |got-ref| / (atol + rtol|ref|): <= 1 passes; NaN fails
  double rel_l2_num = 0, rel_l2_den = 0;
  void add(double got, double ref, Tol t) {
    double r = std::abs(got - ref) / (t.atol + t.rtol * std::abs(ref));
    if (!(r == r)) r = 1e30;
    worst = std::max(worst, r);
    rel_l2_num += (got - ref) * (got - ref);
    rel_l2_den += ref * ref;
  }
};

// Per-thread generators: the checks run cases on all CPU cores (the float64 twin is the slow part).
static thread_local std::mt19937_64 g_rng(1234);
static double nrm() { thread_local std::normal_distribution<double> n; return n(g_rng); }
static double uni(double a, double b) { return std::uniform_real_distribution<double>(a, b)(g_rng); }

#include "scan_lab_checks.inc"
#if !defined(SSCAN_EMU)
#include "scan_lab_bench.inc"
#endif

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "all";
  int dev = 0;
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, dev));
  printf("device: %s, %d SMs, L2 %d MB\n", prop.name, prop.multiProcessorCount, prop.l2CacheSize >> 20);
  // SCAN_LAB_GENERAL=1: every shape on the general kernels (the real-A kernels off), to check
  // and time them against each other.
  if (const char* g = getenv("SCAN_LAB_GENERAL")) detail::g_real_kernels = atoi(g) == 0;
  // SCAN_LAB_FWD_CB=16|8: the real-A forward's narrow blocks forced to that width (bench)
  if (const char* cb = getenv("SCAN_LAB_FWD_CB")) detail::g_fwd_cb = atoi(cb);
  printf("kernels: %s\n", detail::g_real_kernels ? "real-A kernels where they apply (v3)" : "general kernels only (v2)");
  int fails = 0;
  if (mode == "all" || mode == "check") fails += run_checks();
#if !defined(SSCAN_EMU)  // too large / meaningless under the CPU emulator
  if (mode == "all" || mode == "check" || mode == "large") fails += run_large_index_check();
  if (mode == "all" || mode == "bench") run_bench(argc > 2 ? atoi(argv[2]) : 20);
  if (mode == "all" || mode == "sweep") {
    // Time-chunking policy: resident-thread target below which time is split into chunks.
    for (int64_t tf : {int64_t(1), 4 * detail::kTargetThreads}) {
      detail::g_fwd_target_threads = detail::g_bwd_target_threads = tf;
      printf("\n-- sweep: target threads %ld (default %ld)\n", (long)tf, (long)detail::kTargetThreads);
      run_bench(argc > 2 ? atoi(argv[2]) : 20);
    }
    detail::g_fwd_target_threads = detail::g_bwd_target_threads = detail::kTargetThreads;
  }
#endif
  printf("%s: %d failing checks\n", fails ? "FAIL" : "PASS", fails);
  return fails ? 1 : 0;
}
