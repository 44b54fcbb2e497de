// StridedCopy: dst = src over one shape, both with any strides (0 allowed in src) and
// offsets, converting between float32, float64, float16 and bfloat16. One kernel serves
// permute/transpose, broadcastTo, slice, concat, the slice gradient and casts. CPU twin:
// packages/core/src/cpu/kernels/StridedCopy.ts (complex tensors arrive as real pairs: the
// adapter adds the (re, im) axis, as the CPU twin does).
//
// Version 1 (this one): one thread per element, walking dst in row-major order so the writes
// of a warp are contiguous whenever dst is; offsets from a 64-bit index, rank <= 8. A
// same-dtype contiguous copy never gets here: the adapter uses one device-to-device memcpy.
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

// operands: 0 = src, 1 = dst
template <class S, class D>
__global__ void strided_copy_kernel(const typename Elem<S>::Storage* src,
                                    typename Elem<D>::Storage* dst, int64_t n,
                                    StridedShape<2> s) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    int64_t off[2];
    offsets_of(s, i, off);
    Elem<D>::store(dst, off[1], Elem<S>::load(src, off[0]));
  }
}

template <class S, class D>
void launch(const Tensor& src, const Tensor& dst, int64_t n, const StridedShape<2>& s,
            sscanStream_t stream) {
  auto kern = &strided_copy_kernel<S, D>;
  SSCAN_LAUNCH(kern, dim3(grid_for(n)), dim3(kThreads), 0, stream,
               static_cast<const typename Elem<S>::Storage*>(src.data),
               static_cast<typename Elem<D>::Storage*>(dst.data), n, s);
}

template <class S>
void launch_to(const Tensor& src, const Tensor& dst, int64_t n, const StridedShape<2>& s,
               sscanStream_t stream) {
  switch (dst.dtype) {
    case ElemType::Float32: launch<S, float>(src, dst, n, s, stream); break;
    case ElemType::Float64: launch<S, double>(src, dst, n, s, stream); break;
    case ElemType::Float16: launch<S, Half>(src, dst, n, s, stream); break;
    case ElemType::BFloat16: launch<S, BFloat16>(src, dst, n, s, stream); break;
  }
}

}  // namespace

sscanError_t strided_copy(const Tensor& src, const Tensor& dst, sscanStream_t stream) {
  const int64_t n = dst.numel();
  if (n == 0) return sscanSuccess;
  StridedShape<2> s{};
  s.rank = dst.rank;
  for (int d = 0; d < dst.rank; ++d) {
    s.shape[d] = dst.shape[d];
    s.strides[0][d] = src.strides[d];
    s.strides[1][d] = dst.strides[d];
  }
  switch (src.dtype) {
    case ElemType::Float32: launch_to<float>(src, dst, n, s, stream); break;
    case ElemType::Float64: launch_to<double>(src, dst, n, s, stream); break;
    case ElemType::Float16: launch_to<Half>(src, dst, n, s, stream); break;
    case ElemType::BFloat16: launch_to<BFloat16>(src, dst, n, s, stream); break;
  }
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
