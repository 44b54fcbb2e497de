// The model ops' host interface: what the addon (csrc/addon/model_ops.cpp) and the CPU
// emulator check (dev/emu/ops_emu.cpp) call to launch them. Semantics are those of
// packages/core/src/kernel_names.ts ("Model ops") and the CPU kernels in
// packages/core/src/cpu/kernels/, which are the reference.
//
// Every tensor arrives as a `Tensor`: a pointer to its first element plus shape and element
// strides (64-bit; rank <= kMaxRank). The caller has checked shapes, dtypes and that every
// element lies inside its allocation; the kernels still never read out of bounds on bad data
// (an out-of-range token id or class id gives NaN, not a wild read).
//
// Arithmetic is float64 for both float32 and float64 tensors (the CPU reference computes in
// JS doubles and rounds on store), and every reduction has a fixed order: two runs give the
// same bits. No float atomics anywhere.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(SSCAN_EMU)
#include "cuda_emu.h"
typedef cudaStream_t sscanStream_t;
typedef cudaError_t sscanError_t;
#elif defined(__HIPCC__)
#include <hip/hip_runtime.h>
typedef hipStream_t sscanStream_t;
typedef hipError_t sscanError_t;
#else
#include <cuda_runtime.h>
typedef cudaStream_t sscanStream_t;
typedef cudaError_t sscanError_t;
#endif

namespace sscan {
namespace ops {

constexpr int kMaxRank = 8;

// The order is the wire order of the addon's layout (modelOpLayout.dtypes).
enum class ElemType : int32_t { Float32 = 0, Float64 = 1, Float16 = 2, BFloat16 = 3 };

struct Tensor {
  void* data = nullptr;  // the first element (the view's offset already applied)
  ElemType dtype = ElemType::Float32;
  int rank = 0;
  int64_t shape[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};  // in elements, >= 0
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= shape[i];
    return n;
  }
  int64_t dim(int i) const { return shape[i < 0 ? rank + i : i]; }
};

enum class BinaryOp : int32_t { Add = 0, Sub = 1, Mul = 2, Div = 3 };
enum class UnaryOp : int32_t { Neg = 0, Exp = 1, Log = 2, Sigmoid = 3, Silu = 4, Softplus = 5 };

// ---- elementwise.cu -----------------------------------------------------------------------
// out = a op b; a, b, out share one shape (a broadcast axis has stride 0); out contiguous.
sscanError_t binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out,
                    sscanStream_t stream);
// out = f(x), all contiguous, same numel.
sscanError_t unary(UnaryOp op, const Tensor& x, const Tensor& out, sscanStream_t stream);
// dx = dy * f'(x), all contiguous, same numel.
sscanError_t unary_grad(UnaryOp op, const Tensor& x, const Tensor& dy, const Tensor& dx,
                        sscanStream_t stream);

// ---- adamw.cu -----------------------------------------------------------------------------
struct AdamWParams {
  double lr, beta1, beta2, eps, weight_decay;
  double c1, c2;  // 1 / (1 - beta^step), computed once on the host
  bool sgd;       // SGD with momentum beta1: v is unused (may be null)
};
sscanError_t adamw_update(const Tensor& param, const Tensor& grad, const Tensor& m,
                          const Tensor* v, const AdamWParams& p, sscanStream_t stream);

// ---- strided_copy.cu ----------------------------------------------------------------------
// dst = src over one shape, any strides (0 allowed in src) on both sides, converting between
// the four real dtypes (float16 rounds to nearest even from the float64 value, bfloat16 from
// the float32 value, as the CPU's encodeInto does).
sscanError_t strided_copy(const Tensor& src, const Tensor& dst, sscanStream_t stream);

// ---- reduce.cu ----------------------------------------------------------------------------
// out = sum of x over the axes in `axes_mask` (bit i = axis i); out has x's rank with 1 on
// those axes, contiguous. The workspace holds per-chunk partial sums.
size_t sum_workspace_bytes(const Tensor& x, uint32_t axes_mask);
sscanError_t sum(const Tensor& x, uint32_t axes_mask, const Tensor& out, void* workspace,
                 sscanStream_t stream);

// ---- conv1d.cu ----------------------------------------------------------------------------
constexpr int kMaxConvWidth = 8;
// x, out (batch, channels, seqlen); weight (channels, width <= 8); bias (channels) or null data.
sscanError_t causal_conv1d(const Tensor& x, const Tensor& weight, const Tensor* bias,
                           const Tensor& out, sscanStream_t stream);
size_t causal_conv1d_bwd_workspace_bytes(const Tensor& x, const Tensor& weight);
sscanError_t causal_conv1d_bwd(const Tensor& x, const Tensor& weight, const Tensor& dy,
                               const Tensor& dx, const Tensor& dweight, const Tensor* dbias,
                               void* workspace, sscanStream_t stream);

// ---- rms_norm.cu --------------------------------------------------------------------------
// x, out (rows, dim); weight (dim).
sscanError_t rms_norm(const Tensor& x, const Tensor& weight, const Tensor& out, double eps,
                      sscanStream_t stream);
size_t rms_norm_bwd_workspace_bytes(const Tensor& x);
sscanError_t rms_norm_bwd(const Tensor& x, const Tensor& weight, const Tensor& dy,
                          const Tensor& dx, const Tensor& dweight, double eps, void* workspace,
                          sscanStream_t stream);

// ---- embedding.cu -------------------------------------------------------------------------
// weight (vocab, dim); ids (n) integer ids stored as floats; out (n, dim).
sscanError_t embedding(const Tensor& weight, const Tensor& ids, const Tensor& out,
                       sscanStream_t stream);
size_t embedding_bwd_workspace_bytes(const Tensor& ids, const Tensor& dweight);
sscanError_t embedding_bwd(const Tensor& ids, const Tensor& dy, const Tensor& dweight,
                           void* workspace, sscanStream_t stream);

// ---- cross_entropy.cu ---------------------------------------------------------------------
// logits (rows, classes); targets (rows); loss and dloss: one element.
size_t cross_entropy_workspace_bytes(const Tensor& logits);
sscanError_t cross_entropy(const Tensor& logits, const Tensor& targets, const Tensor& loss,
                           double ignore_index, void* workspace, sscanStream_t stream);
sscanError_t cross_entropy_bwd(const Tensor& logits, const Tensor& targets, const Tensor& dloss,
                               const Tensor& dlogits, double ignore_index, void* workspace,
                               sscanStream_t stream);

// ---- matmul.cu ----------------------------------------------------------------------------
// Our own tiled matmul, used when no BLAS library could be loaded (and by the emulator check).
// a (batch, M, K) or (batch, K, M) if trans_a; b (batch_b, K, N) or (batch_b, N, K) if
// trans_b, batch_b in {1, batch}; out (batch, M, N); all contiguous.
sscanError_t matmul_tiled(const Tensor& a, const Tensor& b, const Tensor& out, bool trans_a,
                          bool trans_b, sscanStream_t stream);

}  // namespace ops
}  // namespace sscan
