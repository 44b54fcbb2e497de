// Elementwise model ops: Binary (add/sub/mul/div with broadcast strides), Unary and its fused
// gradient UnaryGrad. CPU twins: packages/core/src/cpu/kernels/{Binary,Unary,UnaryGrad}.ts.
//
// One thread per output element in a grid-stride loop; math in float64 like the CPU twin
// (which computes in JS doubles and rounds on store). Binary has two versions: plain indexing
// when a, b and out are all contiguous, and the strided walk (up to rank 8) otherwise.
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

template <int OP>
SSCAN_D double apply_binary(double a, double b) {
  if (OP == int(BinaryOp::Add)) return a + b;
  if (OP == int(BinaryOp::Sub)) return a - b;
  if (OP == int(BinaryOp::Mul)) return a * b;
  return a / b;
}

SSCAN_D double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

template <int OP>
SSCAN_D double apply_unary(double x) {
  if (OP == int(UnaryOp::Neg)) return -x;
  if (OP == int(UnaryOp::Exp)) return exp(x);
  if (OP == int(UnaryOp::Log)) return log(x);
  if (OP == int(UnaryOp::Sigmoid)) return sigmoid(x);
  if (OP == int(UnaryOp::Silu)) return x / (1.0 + exp(-x));
  return x > 20.0 ? x : log1p(exp(x));  // softplus with the scan's cut-off
}

template <int OP>
SSCAN_D double apply_unary_grad(double x, double g) {
  if (OP == int(UnaryOp::Neg)) return -g;
  if (OP == int(UnaryOp::Exp)) return g * exp(x);
  if (OP == int(UnaryOp::Log)) return g / x;
  if (OP == int(UnaryOp::Sigmoid)) {
    const double s = sigmoid(x);
    return g * s * (1.0 - s);
  }
  if (OP == int(UnaryOp::Silu)) {
    const double s = sigmoid(x);
    return g * s * (1.0 + x * (1.0 - s));
  }
  return x > 20.0 ? g : g / (1.0 + exp(-x));  // d softplus = sigmoid; 1 past the cut-off
}

template <class T, int OP>
__global__ void binary_contiguous_kernel(const T* a, const T* b, T* out, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    Elem<T>::store(out, i, apply_binary<OP>(Elem<T>::load(a, i), Elem<T>::load(b, i)));
}

// operands: 0 = a, 1 = b, 2 = out
template <class T, int OP>
__global__ void binary_strided_kernel(const T* a, const T* b, T* out, int64_t n,
                                      StridedShape<3> s) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    int64_t off[3];
    offsets_of(s, i, off);
    Elem<T>::store(out, off[2], apply_binary<OP>(Elem<T>::load(a, off[0]), Elem<T>::load(b, off[1])));
  }
}

template <class T, int OP>
__global__ void unary_kernel(const T* x, T* out, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    Elem<T>::store(out, i, apply_unary<OP>(Elem<T>::load(x, i)));
}

template <class T, int OP>
__global__ void unary_grad_kernel(const T* x, const T* dy, T* dx, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    Elem<T>::store(dx, i, apply_unary_grad<OP>(Elem<T>::load(x, i), Elem<T>::load(dy, i)));
}

bool is_contiguous(const Tensor& t) {
  int64_t expected = 1;
  for (int d = t.rank - 1; d >= 0; --d) {
    if (t.shape[d] != 1 && t.strides[d] != expected) return false;
    expected *= t.shape[d];
  }
  return true;
}

template <class T, int OP>
void launch_binary(const Tensor& a, const Tensor& b, const Tensor& out, sscanStream_t stream) {
  const int64_t n = out.numel();
  const T* pa = static_cast<const T*>(a.data);
  const T* pb = static_cast<const T*>(b.data);
  T* po = static_cast<T*>(out.data);
  if (is_contiguous(a) && is_contiguous(b) && is_contiguous(out)) {
    auto kern = &binary_contiguous_kernel<T, OP>;
    SSCAN_LAUNCH(kern, dim3(grid_for(n)), dim3(kThreads), 0, stream, pa, pb, po, n);
    return;
  }
  StridedShape<3> s{};
  s.rank = out.rank;
  for (int d = 0; d < out.rank; ++d) {
    s.shape[d] = out.shape[d];
    s.strides[0][d] = a.strides[d];
    s.strides[1][d] = b.strides[d];
    s.strides[2][d] = out.strides[d];
  }
  auto kern = &binary_strided_kernel<T, OP>;
  SSCAN_LAUNCH(kern, dim3(grid_for(n)), dim3(kThreads), 0, stream, pa, pb, po, n, s);
}

template <class T, int OP>
void launch_unary(const Tensor& x, const Tensor& out, sscanStream_t stream) {
  const int64_t n = out.numel();
  auto kern = &unary_kernel<T, OP>;
  SSCAN_LAUNCH(kern, dim3(grid_for(n)), dim3(kThreads), 0, stream, static_cast<const T*>(x.data),
               static_cast<T*>(out.data), n);
}

template <class T, int OP>
void launch_unary_grad(const Tensor& x, const Tensor& dy, const Tensor& dx, sscanStream_t stream) {
  const int64_t n = dx.numel();
  auto kern = &unary_grad_kernel<T, OP>;
  SSCAN_LAUNCH(kern, dim3(grid_for(n)), dim3(kThreads), 0, stream, static_cast<const T*>(x.data),
               static_cast<const T*>(dy.data), static_cast<T*>(dx.data), n);
}

// op (a runtime value) -> a template argument
#define SSCAN_UNARY_CASES(F, ...)                                   \
  switch (op) {                                                     \
    case UnaryOp::Neg: F<T, int(UnaryOp::Neg)>(__VA_ARGS__); break; \
    case UnaryOp::Exp: F<T, int(UnaryOp::Exp)>(__VA_ARGS__); break; \
    case UnaryOp::Log: F<T, int(UnaryOp::Log)>(__VA_ARGS__); break; \
    case UnaryOp::Sigmoid: F<T, int(UnaryOp::Sigmoid)>(__VA_ARGS__); break; \
    case UnaryOp::Silu: F<T, int(UnaryOp::Silu)>(__VA_ARGS__); break; \
    case UnaryOp::Softplus: F<T, int(UnaryOp::Softplus)>(__VA_ARGS__); break; \
  }

}  // namespace

sscanError_t binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out,
                    sscanStream_t stream) {
  if (out.numel() == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(out.dtype, T, {
    switch (op) {
      case BinaryOp::Add: launch_binary<T, int(BinaryOp::Add)>(a, b, out, stream); break;
      case BinaryOp::Sub: launch_binary<T, int(BinaryOp::Sub)>(a, b, out, stream); break;
      case BinaryOp::Mul: launch_binary<T, int(BinaryOp::Mul)>(a, b, out, stream); break;
      case BinaryOp::Div: launch_binary<T, int(BinaryOp::Div)>(a, b, out, stream); break;
    }
  });
  return last_launch_error();
}

sscanError_t unary(UnaryOp op, const Tensor& x, const Tensor& out, sscanStream_t stream) {
  if (out.numel() == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(out.dtype, T, SSCAN_UNARY_CASES(launch_unary, x, out, stream));
  return last_launch_error();
}

sscanError_t unary_grad(UnaryOp op, const Tensor& x, const Tensor& dy, const Tensor& dx,
                        sscanStream_t stream) {
  if (dx.numel() == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(dx.dtype, T, SSCAN_UNARY_CASES(launch_unary_grad, x, dy, dx, stream));
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
