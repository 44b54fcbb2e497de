// Sum over any set of axes, deterministic. CPU twin: packages/core/src/cpu/kernels/Sum.ts.
//
// x's axes split into kept ones (out index o, row-major: out's contiguous order) and reduced
// ones (index r). Two versions, picked by layout, both with one fixed summation order:
//   rows: the innermost axis of x is reduced and long: one block per output, its threads
//         stride over r (coalesced reads), then a fixed tree (block_sum);
//   cols: otherwise (bias gradients: reduce the outer axes): pass 1 gives every
//         (chunk of r, o) to one thread, adjacent threads on adjacent o so reads coalesce, and
//         writes per-chunk partials; pass 2 adds a column's partials in chunk order. With one
//         chunk pass 1 writes out directly.
// Accumulation is float64 whatever the dtype (the CPU twin's running sum is a JS double).
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

struct SumPlan {
  StridedShape<1> kept, red;
  int64_t n_out, n_red;
  bool rows;
  int64_t chunks, chunk;
};

// Pass 1 aims at about this many threads (a few waves on an H200) before splitting r.
constexpr int64_t kColsTarget = 1 << 16;
constexpr int64_t kMinChunk = 16;
constexpr int64_t kRowsMin = 64;  // shorter reduced rows go to the thread-per-output path

SumPlan plan_sum(const Tensor& x, uint32_t mask) {
  SumPlan p{};
  p.n_out = 1;
  p.n_red = 1;
  int inner = -1;  // innermost axis with more than one element
  for (int d = 0; d < x.rank; ++d) {
    StridedShape<1>& s = (mask >> d) & 1u ? p.red : p.kept;
    s.shape[s.rank] = x.shape[d];
    s.strides[0][s.rank] = x.strides[d];
    ++s.rank;
    ((mask >> d) & 1u ? p.n_red : p.n_out) *= x.shape[d];
    if (x.shape[d] > 1) inner = d;
  }
  p.rows = inner >= 0 && ((mask >> inner) & 1u) && x.strides[inner] == 1 && p.n_red >= kRowsMin;
  p.chunks = 1;
  p.chunk = p.n_red;
  if (!p.rows && p.n_red > 0 && p.n_out > 0) {
    int64_t want = (kColsTarget + p.n_out - 1) / p.n_out;
    const int64_t most = (p.n_red + kMinChunk - 1) / kMinChunk;
    if (want > most) want = most;
    if (want < 1) want = 1;
    p.chunk = (p.n_red + want - 1) / want;
    p.chunks = (p.n_red + p.chunk - 1) / p.chunk;
  }
  return p;
}

template <class T>
__global__ void sum_rows_kernel(const T* x, T* out, SumPlan p) {
  __shared__ double buf[kThreads];
  for (int64_t o = blockIdx.x; o < p.n_out; o += gridDim.x) {
    int64_t base[1];
    offsets_of(p.kept, o, base);
    double acc = 0;
    for (int64_t r = threadIdx.x; r < p.n_red; r += blockDim.x) {
      int64_t off[1];
      offsets_of(p.red, r, off);
      acc += Elem<T>::load(x, base[0] + off[0]);
    }
    acc = block_sum(acc, buf);
    if (threadIdx.x == 0) Elem<T>::store(out, o, acc);
  }
}

// Thread (c, o) sums chunk c of column o into partial[c * n_out + o], or into out when
// there is one chunk.
template <class T>
__global__ void sum_cols_kernel(const T* x, T* out, double* partial, SumPlan p) {
  const int64_t items = p.chunks * p.n_out;
  for (int64_t i = global_index(); i < items; i += global_stride()) {
    const int64_t c = i / p.n_out;
    const int64_t o = i - c * p.n_out;
    int64_t base[1];
    offsets_of(p.kept, o, base);
    const int64_t r1 = (c + 1) * p.chunk < p.n_red ? (c + 1) * p.chunk : p.n_red;
    double acc = 0;
    for (int64_t r = c * p.chunk; r < r1; ++r) {
      int64_t off[1];
      offsets_of(p.red, r, off);
      acc += Elem<T>::load(x, base[0] + off[0]);
    }
    if (p.chunks == 1) Elem<T>::store(out, o, acc);
    else partial[i] = acc;
  }
}

template <class T>
__global__ void sum_partials_kernel(const double* partial, T* out, int64_t chunks, int64_t n_out) {
  for (int64_t o = global_index(); o < n_out; o += global_stride()) {
    double acc = 0;
    for (int64_t c = 0; c < chunks; ++c) acc += partial[c * n_out + o];
    Elem<T>::store(out, o, acc);
  }
}

}  // namespace

size_t sum_workspace_bytes(const Tensor& x, uint32_t axes_mask) {
  const SumPlan p = plan_sum(x, axes_mask);
  return p.rows || p.chunks == 1 ? 0 : size_t(p.chunks * p.n_out) * sizeof(double);
}

sscanError_t sum(const Tensor& x, uint32_t axes_mask, const Tensor& out, void* workspace,
                 sscanStream_t stream) {
  const SumPlan p = plan_sum(x, axes_mask);
  if (p.n_out == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(x.dtype, T, {
    const T* px = static_cast<const T*>(x.data);
    T* po = static_cast<T*>(out.data);
    if (p.rows) {
      auto kern = &sum_rows_kernel<T>;
      SSCAN_LAUNCH(kern, dim3(unsigned(p.n_out < kMaxBlocks ? p.n_out : kMaxBlocks)),
                   dim3(kThreads), 0, stream, px, po, p);
    } else {
      double* partial = static_cast<double*>(workspace);
      auto kern = &sum_cols_kernel<T>;
      SSCAN_LAUNCH(kern, dim3(grid_for(p.chunks * p.n_out)), dim3(kThreads), 0, stream, px, po,
                   partial, p);
      if (p.chunks > 1) {
        auto fin = &sum_partials_kernel<T>;
        SSCAN_LAUNCH(fin, dim3(grid_for(p.n_out)), dim3(kThreads), 0, stream, partial, po,
                     p.chunks, p.n_out);
      }
    }
  });
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
