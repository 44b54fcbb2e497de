// Our own batched matmul: the fallback when no BLAS library (cuBLAS / rocBLAS, loaded at run
// time by csrc/addon/blas_loader.cpp) is there. CPU twin: packages/core/src/cpu/kernels/MatMul.ts.
//   out (batch, M, N) = op(a) op(b);  a (batch, M, K) or (batch, K, M) if trans_a;
//   b (batch_b, K, N) or (batch_b, N, K) if trans_b, batch_b in {1, batch} (1: shared weights)
//
// Version 1: 16x16 output tiles, one per block of 256 threads; both operands staged through
// shared memory in 16x16 K-slices (converted to float64 on load, summed in float64 as the CPU
// twin does). Simple and correct for any transposes and sizes; far from cuBLAS's speed.
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

constexpr int kTile = 16;  // kTile * kTile == kThreads

struct MatMulShape {
  int64_t batch, m, n, k;
  bool trans_a, trans_b, shared_b;
  int64_t tiles_m, tiles_n;
};

template <class T>
__global__ void matmul_tiled_kernel(const T* a, const T* b, T* out, MatMulShape s) {
  __shared__ double as[kTile][kTile + 1];
  __shared__ double bs[kTile][kTile + 1];
  const int tx = int(threadIdx.x) % kTile;  // column in the tile
  const int ty = int(threadIdx.x) / kTile;  // row in the tile
  const int64_t tiles = s.batch * s.tiles_m * s.tiles_n;
  for (int64_t item = blockIdx.x; item < tiles; item += gridDim.x) {
    const int64_t bi = item / (s.tiles_m * s.tiles_n);
    const int64_t rest = item - bi * s.tiles_m * s.tiles_n;
    const int64_t i0 = (rest / s.tiles_n) * kTile;
    const int64_t j0 = (rest % s.tiles_n) * kTile;
    const T* pa = a + bi * s.m * s.k;
    const T* pb = b + (s.shared_b ? 0 : bi) * s.k * s.n;
    const int64_t i = i0 + ty;
    const int64_t j = j0 + tx;
    double acc = 0;
    for (int64_t k0 = 0; k0 < s.k; k0 += kTile) {
      // as[ty][tx] = op(a)[i0 + ty, k0 + tx];  bs[ty][tx] = op(b)[k0 + ty, j0 + tx]
      const int64_t ka = k0 + tx, kb = k0 + ty;
      as[ty][tx] = i < s.m && ka < s.k
                       ? Elem<T>::load(pa, s.trans_a ? ka * s.m + i : i * s.k + ka)
                       : 0.0;
      bs[ty][tx] = kb < s.k && j < s.n
                       ? Elem<T>::load(pb, s.trans_b ? j * s.k + kb : kb * s.n + j)
                       : 0.0;
      __syncthreads();
      for (int q = 0; q < kTile; ++q) acc += as[ty][q] * bs[q][tx];
      __syncthreads();
    }
    if (i < s.m && j < s.n) Elem<T>::store(out, (bi * s.m + i) * s.n + j, acc);
  }
}

}  // namespace

sscanError_t matmul_tiled(const Tensor& a, const Tensor& b, const Tensor& out, bool trans_a,
                          bool trans_b, sscanStream_t stream) {
  MatMulShape s{};
  s.batch = out.shape[0];
  s.m = out.shape[1];
  s.n = out.shape[2];
  s.k = trans_a ? a.shape[1] : a.shape[2];
  s.trans_a = trans_a;
  s.trans_b = trans_b;
  s.shared_b = b.shape[0] == 1;
  s.tiles_m = (s.m + kTile - 1) / kTile;
  s.tiles_n = (s.n + kTile - 1) / kTile;
  const int64_t tiles = s.batch * s.tiles_m * s.tiles_n;
  if (tiles == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(out.dtype, T, {
    auto kern = &matmul_tiled_kernel<T>;
    SSCAN_LAUNCH(kern, dim3(unsigned(tiles < kMaxBlocks ? tiles : kMaxBlocks)), dim3(kThreads), 0,
                 stream, static_cast<const T*>(a.data), static_cast<const T*>(b.data),
                 static_cast<T*>(out.data), s);
  });
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
