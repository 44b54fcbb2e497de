// Depthwise causal conv1d (Mamba's short conv), forward and backward. CPU twins:
// packages/core/src/cpu/kernels/CausalConv1d.ts and CausalConv1dBackward.ts.
//   out[b,c,t] = bias[c] + sum_k w[c,k] x[b,c,t-(W-1)+k]          (x = 0 before t = 0)
//   dx[b,c,t]  = sum_k w[c,k] dy[b,c,t+(W-1)-k]                   (inside the row)
//   dw[c,k]    = sum_{b,t} dy[b,c,t] x[b,c,t-(W-1)+k],  dbias[c] = sum_{b,t} dy[b,c,t]
// x, dy, dx, out are contiguous (batch, channels, seqlen); W = width <= 8.
//
// Forward and dx: one thread per element (the W taps come from L1/L2). dw/dbias without
// atomics: the (b, t) range of each channel is cut into chunks; one block per (chunk,
// channel) keeps W+1 float64 sums per thread, reduces them with a fixed tree, and writes one
// partial per chunk; a second pass adds a channel's partials in chunk order. Same bits every
// run.
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

struct ConvShape {
  int64_t batch, channels, seqlen;
  int width;
};

ConvShape conv_shape(const Tensor& x, const Tensor& w) {
  return ConvShape{x.shape[0], x.shape[1], x.shape[2], int(w.shape[1])};
}

template <class T>
__global__ void conv_fwd_kernel(const T* x, const T* w, const T* bias, T* out, ConvShape s) {
  const int64_t n = s.batch * s.channels * s.seqlen;
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const int64_t t = i % s.seqlen;
    const int64_t c = (i / s.seqlen) % s.channels;
    const int64_t row = i - t;
    double acc = bias != nullptr ? Elem<T>::load(bias, c) : 0.0;
    const int64_t start = t - (s.width - 1);
    for (int k = start < 0 ? int(-start) : 0; k < s.width; ++k)
      acc += Elem<T>::load(w, c * s.width + k) * Elem<T>::load(x, row + start + k);
    Elem<T>::store(out, i, acc);
  }
}

template <class T>
__global__ void conv_dx_kernel(const T* w, const T* dy, T* dx, ConvShape s) {
  const int64_t n = s.batch * s.channels * s.seqlen;
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const int64_t t = i % s.seqlen;
    const int64_t c = (i / s.seqlen) % s.channels;
    const int64_t row = i - t;
    double acc = 0;
    for (int k = 0; k < s.width; ++k) {
      const int64_t tp = t + (s.width - 1) - k;  // the output that read x[t] through tap k
      if (tp < s.seqlen) acc += Elem<T>::load(w, c * s.width + k) * Elem<T>::load(dy, row + tp);
    }
    Elem<T>::store(dx, i, acc);
  }
}

struct ConvGradPlan {
  ConvShape s;
  int64_t chunks, chunk;  // over the batch * seqlen positions of one channel
};

// Enough (chunk, channel) blocks for two waves of an H200; no chunk shorter than 4096.
constexpr int64_t kConvBlocksTarget = 264;
constexpr int64_t kConvMinChunk = 4096;

ConvGradPlan plan_conv_grad(const Tensor& x, const Tensor& w) {
  ConvGradPlan p{};
  p.s = conv_shape(x, w);
  const int64_t positions = p.s.batch * p.s.seqlen;
  int64_t want = (kConvBlocksTarget + p.s.channels - 1) / (p.s.channels > 0 ? p.s.channels : 1);
  const int64_t most = (positions + kConvMinChunk - 1) / kConvMinChunk;
  if (want > most) want = most;
  if (want < 1) want = 1;
  p.chunk = positions > 0 ? (positions + want - 1) / want : 1;
  p.chunks = positions > 0 ? (positions + p.chunk - 1) / p.chunk : 1;
  return p;
}

// Block (chunk q, channel c): partial sums of dw[c, 0..W-1] and dbias[c] over the chunk.
// With one chunk it writes dw and dbias directly.
template <class T>
__global__ void conv_dw_kernel(const T* x, const T* dy, T* dw, T* dbias, double* partial,
                               ConvGradPlan p) {
  __shared__ double buf[kThreads];
  const ConvShape s = p.s;
  const int64_t positions = s.batch * s.seqlen;
  for (int64_t item = blockIdx.x; item < p.chunks * s.channels; item += gridDim.x) {
    const int64_t q = item / s.channels;
    const int64_t c = item - q * s.channels;
    double acc[kMaxConvWidth + 1];
    for (int k = 0; k <= kMaxConvWidth; ++k) acc[k] = 0;
    const int64_t j1 = (q + 1) * p.chunk < positions ? (q + 1) * p.chunk : positions;
    for (int64_t j = q * p.chunk + threadIdx.x; j < j1; j += blockDim.x) {
      const int64_t b = j / s.seqlen;
      const int64_t t = j - b * s.seqlen;
      const int64_t row = (b * s.channels + c) * s.seqlen;
      const double g = Elem<T>::load(dy, row + t);
      acc[kMaxConvWidth] += g;
      const int64_t start = t - (s.width - 1);
      for (int k = start < 0 ? int(-start) : 0; k < s.width; ++k)
        acc[k] += g * Elem<T>::load(x, row + start + k);
    }
    for (int k = 0; k <= s.width; ++k) {
      const int slot = k == s.width ? kMaxConvWidth : k;  // the bias sum sits after the taps
      const double total = block_sum(acc[slot], buf);
      if (threadIdx.x != 0) continue;
      if (p.chunks > 1) {
        partial[(q * s.channels + c) * (s.width + 1) + k] = total;
      } else if (k < s.width) {
        Elem<T>::store(dw, c * s.width + k, total);
      } else if (dbias != nullptr) {
        Elem<T>::store(dbias, c, total);
      }
    }
  }
}

// Thread (c, k): the chunk partials of dw[c, k] (k = W: dbias[c]) in chunk order.
template <class T>
__global__ void conv_dw_partials_kernel(const double* partial, T* dw, T* dbias, ConvGradPlan p) {
  const int64_t per = p.s.width + 1;
  const int64_t items = p.s.channels * per;
  for (int64_t i = global_index(); i < items; i += global_stride()) {
    double acc = 0;
    for (int64_t q = 0; q < p.chunks; ++q) acc += partial[q * items + i];
    const int64_t c = i / per;
    const int64_t k = i - c * per;
    if (k < p.s.width) Elem<T>::store(dw, c * p.s.width + k, acc);
    else if (dbias != nullptr) Elem<T>::store(dbias, c, acc);
  }
}

}  // namespace

sscanError_t causal_conv1d(const Tensor& x, const Tensor& weight, const Tensor* bias,
                           const Tensor& out, sscanStream_t stream) {
  const int64_t n = out.numel();
  if (n == 0) return sscanSuccess;
  const ConvShape s = conv_shape(x, weight);
  SSCAN_DISPATCH_FLOAT(x.dtype, T, {
    auto kern = &conv_fwd_kernel<T>;
    SSCAN_LAUNCH(kern, dim3(grid_for(n)), dim3(kThreads), 0, stream,
                 static_cast<const T*>(x.data), static_cast<const T*>(weight.data),
                 bias != nullptr ? static_cast<const T*>(bias->data) : nullptr,
                 static_cast<T*>(out.data), s);
  });
  return last_launch_error();
}

size_t causal_conv1d_bwd_workspace_bytes(const Tensor& x, const Tensor& weight) {
  const ConvGradPlan p = plan_conv_grad(x, weight);
  return p.chunks > 1 ? size_t(p.chunks * p.s.channels * (p.s.width + 1)) * sizeof(double) : 0;
}

sscanError_t causal_conv1d_bwd(const Tensor& x, const Tensor& weight, const Tensor& dy,
                               const Tensor& dx, const Tensor& dweight, const Tensor* dbias,
                               void* workspace, sscanStream_t stream) {
  const ConvGradPlan p = plan_conv_grad(x, weight);
  const ConvShape& s = p.s;
  if (s.channels == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(x.dtype, T, {
    const T* px = static_cast<const T*>(x.data);
    const T* pdy = static_cast<const T*>(dy.data);
    T* pdw = static_cast<T*>(dweight.data);
    T* pdb = dbias != nullptr ? static_cast<T*>(dbias->data) : nullptr;
    const int64_t n = dx.numel();
    if (n > 0) {
      auto kdx = &conv_dx_kernel<T>;
      SSCAN_LAUNCH(kdx, dim3(grid_for(n)), dim3(kThreads), 0, stream,
                   static_cast<const T*>(weight.data), pdy, static_cast<T*>(dx.data), s);
    }
    double* partial = static_cast<double*>(workspace);
    const int64_t blocks = p.chunks * s.channels;
    auto kdw = &conv_dw_kernel<T>;
    SSCAN_LAUNCH(kdw, dim3(unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks)), dim3(kThreads), 0,
                 stream, px, pdy, pdw, pdb, partial, p);
    if (p.chunks > 1) {
      auto kfin = &conv_dw_partials_kernel<T>;
      SSCAN_LAUNCH(kfin, dim3(grid_for(s.channels * (s.width + 1))), dim3(kThreads), 0, stream,
                   partial, pdw, pdb, p);
    }
  });
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
