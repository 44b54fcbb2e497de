// Device-side helpers shared by the model-op kernels (csrc/ops/*.cu): element loads and
// stores with dtype conversion, strided index -> offset, grid sizing, and fixed-order block
// reductions. Written once for nvcc, hipcc and the CPU emulator (portability.h).
#pragma once

#include <cmath>
#include <cstdint>

#include "../portability.h"
#include "model_ops.h"

namespace sscan {
namespace ops {

// Threads per block of the elementwise kernels and the reductions. A power of two (the tree
// reductions below assume it) and a multiple of every warp/wavefront width.
constexpr int kThreads = 256;
// Grid-stride loops cover any size with at most this many blocks: plenty to fill an H200
// (132 SMs x 16 blocks) while keeping gridDim.x small on every platform.
constexpr int64_t kMaxBlocks = 65535;

inline unsigned grid_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  return unsigned(b < kMaxBlocks ? b : kMaxBlocks);
}

SSCAN_D int64_t global_index() { return int64_t(blockIdx.x) * blockDim.x + threadIdx.x; }
SSCAN_D int64_t global_stride() { return int64_t(blockDim.x) * gridDim.x; }

// ---- element conversion ------------------------------------------------------------------
SSCAN_HD uint64_t double_to_bits(double d) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return uint64_t(__double_as_longlong(d));
#else
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
#endif
}

// float64 -> IEEE half, rounding to nearest even from the double itself (no detour through
// float32, whose double rounding can differ): the CPU's toFloat16Bits. NaN -> 0x7e00 like it.
SSCAN_HD uint16_t double_to_f16(double x) {
  const uint64_t u = double_to_bits(x);
  const uint16_t s = uint16_t((u >> 48) & 0x8000u);
  const uint64_t a = u & 0x7fffffffffffffffull;
  if (a > 0x7ff0000000000000ull) return 0x7e00;
  const int e = int(a >> 52) - 1023;
  if (e >= 16) return uint16_t(s | 0x7c00u);  // >= 65536 (and Inf)
  const uint64_t m = (a & 0xfffffffffffffull) | (a >> 52 ? 0x10000000000000ull : 0);
  // value = m * 2^(e - 52); a half unit is 2^-24 below the normal range, 2^(e-10) inside it
  const int shift = e >= -14 ? 42 : 28 - e;
  if (shift >= 64) return s;
  uint64_t q = m >> shift;
  const uint64_t rem = m & ((uint64_t(1) << shift) - 1);
  const uint64_t half = uint64_t(1) << (shift - 1);
  if (rem > half || (rem == half && (q & 1))) ++q;
  if (e >= -14) {  // normal: q holds the implicit bit at 2^10; a carry may reach Inf: correct
    return uint16_t(s | ((uint32_t(e + 15) << 10) + uint32_t(q - 0x400)));
  }
  return uint16_t(s | uint32_t(q));  // subnormal (q may round up to the smallest normal)
}

template <class T>
struct Elem;
template <>
struct Elem<float> {
  typedef float Storage;
  static SSCAN_HD double load(const float* p, int64_t i) { return double(p[i]); }
  static SSCAN_HD void store(float* p, int64_t i, double v) { p[i] = float(v); }
};
template <>
struct Elem<double> {
  typedef double Storage;
  static SSCAN_HD double load(const double* p, int64_t i) { return p[i]; }
  static SSCAN_HD void store(double* p, int64_t i, double v) { p[i] = v; }
};
struct Half {};      // tag: IEEE binary16 stored as uint16_t
struct BFloat16 {};  // tag: bfloat16 stored as uint16_t
template <>
struct Elem<Half> {
  typedef uint16_t Storage;
  static SSCAN_HD double load(const uint16_t* p, int64_t i) { return double(f16_to_float(p[i])); }
  static SSCAN_HD void store(uint16_t* p, int64_t i, double v) { p[i] = double_to_f16(v); }
};
template <>
struct Elem<BFloat16> {
  typedef uint16_t Storage;
  static SSCAN_HD double load(const uint16_t* p, int64_t i) { return double(bf16_to_float(p[i])); }
  // through float32 first, as the CPU's toBFloat16Bits does (f32[0] = x)
  static SSCAN_HD void store(uint16_t* p, int64_t i, double v) { p[i] = float_to_bf16(float(v)); }
};

// ---- strided offsets ---------------------------------------------------------------------
// Shape and the strides of up to N operands over it, passed by value to a kernel.
template <int N>
struct StridedShape {
  int rank;
  int64_t shape[kMaxRank];
  int64_t strides[N][kMaxRank];
};

// Element offsets of flat (row-major) index i in each operand.
template <int N>
SSCAN_D void offsets_of(const StridedShape<N>& s, int64_t i, int64_t (&off)[N]) {
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = s.rank - 1; d >= 0; --d) {
    const int64_t q = i / s.shape[d];
    const int64_t r = i - q * s.shape[d];
    for (int k = 0; k < N; ++k) off[k] += r * s.strides[k][d];
    i = q;
  }
}

// ---- fixed-order block reductions ----------------------------------------------------------
// A tree over shared memory in one fixed order, so the result is the same bits every run.
// Every thread of the block must call it; `buf` holds blockDim.x doubles (a power of two).
SSCAN_D double block_sum(double v, double* buf) {
  const unsigned t = threadIdx.x;
  buf[t] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] += buf[t + s];
    __syncthreads();
  }
  const double r = buf[0];
  __syncthreads();
  return r;
}

SSCAN_D double block_max(double v, double* buf) {
  const unsigned t = threadIdx.x;
  buf[t] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] = buf[t + s] > buf[t] ? buf[t + s] : buf[t];
    __syncthreads();
  }
  const double r = buf[0];
  __syncthreads();
  return r;
}

// Dispatch on float32 / float64 for the ops that take only those (the caller checked).
#define SSCAN_DISPATCH_FLOAT(dtype, T, ...)  \
  do {                                       \
    if ((dtype) == ElemType::Float64) {      \
      typedef double T;                      \
      __VA_ARGS__;                           \
    } else {                                 \
      typedef float T;                       \
      __VA_ARGS__;                           \
    }                                        \
  } while (0)

inline sscanError_t last_launch_error() { return sscanGetLastError(); }

}  // namespace ops
}  // namespace sscan
