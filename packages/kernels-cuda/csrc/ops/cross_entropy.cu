// Mean cross-entropy over the counted rows (target != ignore_index) and its gradient. CPU
// twins: packages/core/src/cpu/kernels/CrossEntropy.ts and CrossEntropyBackward.ts.
//   loss = mean_counted( logsumexp(logits[r]) - logits[r, target[r]] )   (0 if none counted)
//   dlogits[r] = (softmax(logits[r]) - onehot(target[r])) dloss / count, 0 on ignored rows
// logits, dlogits contiguous (rows, classes); targets (rows) integer ids stored as floats.
//
// One block per row (max, then the sum of exp(l - max): no overflow), in float64. The mean
// is a second, one-block pass over the per-row losses in a fixed order (no atomics). A
// target that is neither ignore_index nor a class id makes its row NaN instead of reading
// outside the row.
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

struct CeShape {
  int64_t rows, classes;
  double ignore;
};

unsigned ce_threads(int64_t classes) {
  unsigned t = 64;
  while (t < unsigned(kThreads) && int64_t(t) < classes) t *= 2;
  return t;
}

// -1: ignored row; -2: invalid target; else the class id.
SSCAN_D int64_t target_of(double target, const CeShape& s) {
  if (target == s.ignore) return -1;
  if (!(target >= 0 && target < double(s.classes) && target == floor(target))) return -2;
  return int64_t(target);
}

// max and sum_c exp(l_c - max) of one row; every thread of the block gets both.
template <class T>
SSCAN_D void row_stats(const T* logits, int64_t base, int64_t classes, double* buf, double& max,
                       double& sum) {
  double m = -INFINITY;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x) {
    const double v = Elem<T>::load(logits, base + c);
    m = v > m ? v : m;
  }
  max = block_max(m, buf);
  double s = 0;
  for (int64_t c = threadIdx.x; c < classes; c += blockDim.x)
    s += exp(Elem<T>::load(logits, base + c) - max);
  sum = block_sum(s, buf);
}

// Per row: its loss (0 if ignored) into row_loss[r] and 1/0 into row_count[r].
template <class T>
__global__ void ce_rows_kernel(const T* logits, const T* targets, double* row_loss,
                               double* row_count, CeShape s) {
  __shared__ double buf[kThreads];
  for (int64_t r = blockIdx.x; r < s.rows; r += gridDim.x) {
    const int64_t target = target_of(Elem<T>::load(targets, r), s);
    if (target == -1) {  // block-uniform: the whole block skips the row
      if (threadIdx.x == 0) row_loss[r] = row_count[r] = 0;
      continue;
    }
    const int64_t base = r * s.classes;
    double max, sum;
    row_stats(logits, base, s.classes, buf, max, sum);
    if (threadIdx.x == 0) {
      row_loss[r] = target < 0 ? NAN : max + log(sum) - Elem<T>::load(logits, base + target);
      row_count[r] = 1;
    }
  }
}

// One block: loss = sum(row_loss) / sum(row_count), both summed in a fixed order.
template <class T>
__global__ void ce_mean_kernel(const double* row_loss, const double* row_count, T* loss,
                               int64_t rows) {
  __shared__ double buf[kThreads];
  double total = 0, count = 0;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    total += row_loss[r];
    count += row_count[r];
  }
  total = block_sum(total, buf);
  count = block_sum(count, buf);
  if (threadIdx.x == 0) Elem<T>::store(loss, 0, count == 0 ? 0.0 : total / count);
}

// One block: the number of counted rows into *count.
template <class T>
__global__ void ce_count_kernel(const T* targets, double* count, CeShape s) {
  __shared__ double buf[kThreads];
  double c = 0;
  for (int64_t r = threadIdx.x; r < s.rows; r += blockDim.x)
    c += Elem<T>::load(targets, r) != s.ignore ? 1.0 : 0.0;
  c = block_sum(c, buf);
  if (threadIdx.x == 0) *count = c;
}

template <class T>
__global__ void ce_grad_kernel(const T* logits, const T* targets, const T* dloss,
                               const double* count, T* dlogits, CeShape s) {
  __shared__ double buf[kThreads];
  const double g = *count == 0 ? 0.0 : Elem<T>::load(dloss, 0) / *count;
  for (int64_t r = blockIdx.x; r < s.rows; r += gridDim.x) {
    const int64_t target = target_of(Elem<T>::load(targets, r), s);
    const int64_t base = r * s.classes;
    if (target == -1) {
      for (int64_t c = threadIdx.x; c < s.classes; c += blockDim.x) Elem<T>::store(dlogits, base + c, 0.0);
      continue;
    }
    double max, sum;
    row_stats(logits, base, s.classes, buf, max, sum);
    const double inv = g / sum;
    for (int64_t c = threadIdx.x; c < s.classes; c += blockDim.x) {
      double p = exp(Elem<T>::load(logits, base + c) - max) * inv;
      // the CPU twin stores p, then subtracts g from the stored value: same rounding here
      if (c == target) p = double(T(p)) - g;
      Elem<T>::store(dlogits, base + c, target < 0 ? NAN : p);
    }
  }
}

unsigned row_blocks(int64_t rows) { return unsigned(rows < kMaxBlocks ? rows : kMaxBlocks); }

}  // namespace

size_t cross_entropy_workspace_bytes(const Tensor& logits) {
  // forward: per-row loss and count; backward: the count
  return (2 * size_t(logits.shape[0]) + 1) * sizeof(double);
}

sscanError_t cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& loss,
                           double ignore_index, void* workspace, sscanStream_t stream) {
  const CeShape s{logits.shape[0], logits.shape[1], ignore_index};
  double* row_loss = static_cast<double*>(workspace);
  double* row_count = row_loss + s.rows;
  SSCAN_DISPATCH_FLOAT(logits.dtype, T, {
    const T* pt = static_cast<const T*>(targets.data);
    if (s.rows > 0) {
      auto krows = &ce_rows_kernel<T>;
      SSCAN_LAUNCH(krows, dim3(row_blocks(s.rows)), dim3(ce_threads(s.classes)), 0, stream,
                   static_cast<const T*>(logits.data), pt, row_loss, row_count, s);
    }
    auto kmean = &ce_mean_kernel<T>;
    SSCAN_LAUNCH(kmean, dim3(1), dim3(kThreads), 0, stream, row_loss, row_count,
                 static_cast<T*>(loss.data), s.rows);
  });
  return last_launch_error();
}

sscanError_t cross_entropy_bwd(const Tensor& logits, const Tensor& targets, const Tensor& dloss,
                               const Tensor& dlogits, double ignore_index, void* workspace,
                               sscanStream_t stream) {
  const CeShape s{logits.shape[0], logits.shape[1], ignore_index};
  if (s.rows == 0) return sscanSuccess;
  double* count = static_cast<double*>(workspace);
  SSCAN_DISPATCH_FLOAT(logits.dtype, T, {
    const T* pt = static_cast<const T*>(targets.data);
    auto kcount = &ce_count_kernel<T>;
    SSCAN_LAUNCH(kcount, dim3(1), dim3(kThreads), 0, stream, pt, count, s);
    auto kgrad = &ce_grad_kernel<T>;
    SSCAN_LAUNCH(kgrad, dim3(row_blocks(s.rows)), dim3(ce_threads(s.classes)), 0, stream,
                 static_cast<const T*>(logits.data), pt, static_cast<const T*>(dloss.data), count,
                 static_cast<T*>(dlogits.data), s);
  });
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
