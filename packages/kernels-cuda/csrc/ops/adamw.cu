// AdamW (and SGD with momentum) in place on param, m, v. CPU twin:
// packages/core/src/cpu/kernels/AdamWUpdate.ts, whose order of operations this follows
// exactly: the new moments are stored rounded, the parameter update uses them unrounded
// (float64), so float64 tensors give the CPU's bits.
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

template <class T>
__global__ void sgd_kernel(T* param, const T* grad, T* mom, int64_t n, AdamWParams p) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const double m = p.beta1 * Elem<T>::load(mom, i) + Elem<T>::load(grad, i);
    Elem<T>::store(mom, i, m);
    const double w = Elem<T>::load(param, i);
    Elem<T>::store(param, i, w - p.lr * (m + p.weight_decay * w));
  }
}

template <class T>
__global__ void adamw_kernel(T* param, const T* grad, T* mom, T* var, int64_t n, AdamWParams p) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const double g = Elem<T>::load(grad, i);
    const double m = p.beta1 * Elem<T>::load(mom, i) + (1.0 - p.beta1) * g;
    const double v = p.beta2 * Elem<T>::load(var, i) + (1.0 - p.beta2) * g * g;
    Elem<T>::store(mom, i, m);
    Elem<T>::store(var, i, v);
    const double w = Elem<T>::load(param, i);
    // decoupled decay: applied to the weight, not mixed into the moments
    Elem<T>::store(param, i, w - p.lr * ((m * p.c1) / (sqrt(v * p.c2) + p.eps) + p.weight_decay * w));
  }
}

}  // namespace

sscanError_t adamw_update(const Tensor& param, const Tensor& grad, const Tensor& m,
                          const Tensor* v, const AdamWParams& p, sscanStream_t stream) {
  const int64_t n = param.numel();
  if (n == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(param.dtype, T, {
    T* pp = static_cast<T*>(param.data);
    const T* pg = static_cast<const T*>(grad.data);
    T* pm = static_cast<T*>(m.data);
    if (p.sgd) {
      auto kern = &sgd_kernel<T>;
      SSCAN_LAUNCH(kern, dim3(grid_for(n)), dim3(kThreads), 0, stream, pp, pg, pm, n, p);
    } else {
      auto kern = &adamw_kernel<T>;
      SSCAN_LAUNCH(kern, dim3(grid_for(n)), dim3(kThreads), 0, stream, pp, pg, pm,
                   static_cast<T*>(v->data), n, p);
    }
  });
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
