// RMSNorm over the last axis, forward and backward. CPU twins:
// packages/core/src/cpu/kernels/RMSNorm.ts and RMSNormBackward.ts.
//   r = 1 / sqrt(mean(x^2) + eps),  out = x r w
//   g = dy w,  dx = r (g - x r mean(g x r)),  dw = sum_rows dy x r
// x, dy, dx, out contiguous (rows, dim); weight, dw (dim).
//
// One block per row (threads stride over dim, fixed-tree sums in float64). The backward
// keeps each row's r in the workspace, then dw is a column sum done like reduce.cu's cols
// version: per-chunk partials over rows, then the partials in chunk order. No atomics.
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

struct NormShape {
  int64_t rows, dim;
};

NormShape norm_shape(const Tensor& x) {
  const int64_t dim = x.rank > 0 ? x.shape[x.rank - 1] : 1;
  return NormShape{dim > 0 ? x.numel() / dim : 0, dim};
}

// A power of two in [64, kThreads] covering the row, so short rows leave few threads idle.
unsigned row_threads(int64_t dim) {
  unsigned t = 64;
  while (t < unsigned(kThreads) && int64_t(t) < dim) t *= 2;
  return t;
}

unsigned row_blocks(int64_t rows) { return unsigned(rows < kMaxBlocks ? rows : kMaxBlocks); }

template <class T>
SSCAN_D double row_rstd(const T* x, int64_t base, int64_t dim, double eps, double* buf) {
  double ss = 0;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const double v = Elem<T>::load(x, base + i);
    ss += v * v;
  }
  ss = block_sum(ss, buf);
  return 1.0 / sqrt(ss / double(dim) + eps);
}

template <class T>
__global__ void rms_norm_kernel(const T* x, const T* w, T* out, NormShape s, double eps) {
  __shared__ double buf[kThreads];
  for (int64_t r = blockIdx.x; r < s.rows; r += gridDim.x) {
    const int64_t base = r * s.dim;
    const double rstd = row_rstd(x, base, s.dim, eps, buf);
    for (int64_t i = threadIdx.x; i < s.dim; i += blockDim.x)
      Elem<T>::store(out, base + i, Elem<T>::load(x, base + i) * rstd * Elem<T>::load(w, i));
  }
}

template <class T>
__global__ void rms_norm_dx_kernel(const T* x, const T* w, const T* dy, T* dx, double* rstd_out,
                                   NormShape s, double eps) {
  __shared__ double buf[kThreads];
  for (int64_t r = blockIdx.x; r < s.rows; r += gridDim.x) {
    const int64_t base = r * s.dim;
    const double rstd = row_rstd(x, base, s.dim, eps, buf);
    double dot = 0;
    for (int64_t i = threadIdx.x; i < s.dim; i += blockDim.x)
      dot += Elem<T>::load(dy, base + i) * Elem<T>::load(w, i) * (Elem<T>::load(x, base + i) * rstd);
    const double mean = block_sum(dot, buf) / double(s.dim);
    for (int64_t i = threadIdx.x; i < s.dim; i += blockDim.x) {
      const double g = Elem<T>::load(dy, base + i) * Elem<T>::load(w, i);
      Elem<T>::store(dx, base + i, rstd * (g - Elem<T>::load(x, base + i) * rstd * mean));
    }
    if (threadIdx.x == 0) rstd_out[r] = rstd;
  }
}

struct DwPlan {
  NormShape s;
  int64_t chunks, chunk;  // over rows
};

constexpr int64_t kDwTarget = 1 << 16;  // pass-1 threads to aim for
constexpr int64_t kDwMinChunk = 16;

DwPlan plan_dw(const Tensor& x) {
  DwPlan p{};
  p.s = norm_shape(x);
  int64_t want = p.s.dim > 0 ? (kDwTarget + p.s.dim - 1) / p.s.dim : 1;
  const int64_t most = (p.s.rows + kDwMinChunk - 1) / kDwMinChunk;
  if (want > most) want = most;
  if (want < 1) want = 1;
  p.chunk = p.s.rows > 0 ? (p.s.rows + want - 1) / want : 1;
  p.chunks = p.s.rows > 0 ? (p.s.rows + p.chunk - 1) / p.chunk : 1;
  return p;
}

// Thread (q, i): sum over the rows of chunk q of dy x r at column i; one chunk: into dw.
template <class T>
__global__ void rms_norm_dw_kernel(const T* x, const T* dy, const double* rstd, T* dw,
                                   double* partial, DwPlan p) {
  const int64_t items = p.chunks * p.s.dim;
  for (int64_t j = global_index(); j < items; j += global_stride()) {
    const int64_t q = j / p.s.dim;
    const int64_t i = j - q * p.s.dim;
    const int64_t r1 = (q + 1) * p.chunk < p.s.rows ? (q + 1) * p.chunk : p.s.rows;
    double acc = 0;
    for (int64_t r = q * p.chunk; r < r1; ++r) {
      const int64_t e = r * p.s.dim + i;
      acc += Elem<T>::load(dy, e) * (Elem<T>::load(x, e) * rstd[r]);
    }
    if (p.chunks == 1) Elem<T>::store(dw, i, acc);
    else partial[j] = acc;
  }
}

template <class T>
__global__ void rms_norm_dw_partials_kernel(const double* partial, T* dw, DwPlan p) {
  for (int64_t i = global_index(); i < p.s.dim; i += global_stride()) {
    double acc = 0;
    for (int64_t q = 0; q < p.chunks; ++q) acc += partial[q * p.s.dim + i];
    Elem<T>::store(dw, i, acc);
  }
}

}  // namespace

sscanError_t rms_norm(const Tensor& x, const Tensor& weight, const Tensor& out, double eps,
                      sscanStream_t stream) {
  const NormShape s = norm_shape(x);
  if (s.rows == 0 || s.dim == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(x.dtype, T, {
    auto kern = &rms_norm_kernel<T>;
    SSCAN_LAUNCH(kern, dim3(row_blocks(s.rows)), dim3(row_threads(s.dim)), 0, stream,
                 static_cast<const T*>(x.data), static_cast<const T*>(weight.data),
                 static_cast<T*>(out.data), s, eps);
  });
  return last_launch_error();
}

size_t rms_norm_bwd_workspace_bytes(const Tensor& x) {
  const DwPlan p = plan_dw(x);
  const size_t partials = p.chunks > 1 ? size_t(p.chunks * p.s.dim) : 0;
  return (size_t(p.s.rows) + partials) * sizeof(double);
}

sscanError_t rms_norm_bwd(const Tensor& x, const Tensor& weight, const Tensor& dy,
                          const Tensor& dx, const Tensor& dweight, double eps, void* workspace,
                          sscanStream_t stream) {
  const DwPlan p = plan_dw(x);
  const NormShape& s = p.s;
  if (s.dim == 0) return sscanSuccess;
  double* rstd = static_cast<double*>(workspace);
  double* partial = rstd + s.rows;
  SSCAN_DISPATCH_FLOAT(x.dtype, T, {
    const T* px = static_cast<const T*>(x.data);
    const T* pdy = static_cast<const T*>(dy.data);
    T* pdw = static_cast<T*>(dweight.data);
    if (s.rows > 0) {
      auto kdx = &rms_norm_dx_kernel<T>;
      SSCAN_LAUNCH(kdx, dim3(row_blocks(s.rows)), dim3(row_threads(s.dim)), 0, stream, px,
                   static_cast<const T*>(weight.data), pdy, static_cast<T*>(dx.data), rstd, s, eps);
    }
    auto kdw = &rms_norm_dw_kernel<T>;
    SSCAN_LAUNCH(kdw, dim3(grid_for(p.chunks * s.dim)), dim3(kThreads), 0, stream, px, pdy, rstd,
                 pdw, partial, p);
    if (p.chunks > 1) {
      auto kfin = &rms_norm_dw_partials_kernel<T>;
      SSCAN_LAUNCH(kfin, dim3(grid_for(s.dim)), dim3(kThreads), 0, stream, partial, pdw, p);
    }
  });
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
