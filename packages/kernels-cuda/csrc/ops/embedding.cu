// Embedding lookup and its gradient. CPU twins: packages/core/src/cpu/kernels/Embedding.ts
// and EmbeddingBackward.ts.
//   out[i, :] = weight[ids[i], :];   dweight = 0, then dweight[ids[i], :] += dy[i, :]
// weight, dweight (vocab, dim); ids (n) integer ids stored as float32/float64; out, dy (n, dim).
// The op checked the ids on the host; a bad id that still got here reads nothing: its output
// row is NaN (forward) or it adds to no row (backward).
//
// The backward is a scatter-add with repeated ids, done without atomics so it gives the same
// bits every run: one block per (vocab row v, column tile, chunk of ids) walks its ids in
// tiles of kThreads, compacts the positions holding v (a prefix sum in shared memory, so
// they stay in index order) and adds their dy rows, one column per thread. Chunk partials are
// then added in chunk order. Cost grows as vocab x n id reads (from L2): right for the small
// vocabularies of the tasks here; a sort by id would serve large vocabularies better.
#include "ops_device.cuh"

namespace sscan {
namespace ops {
namespace {

template <class T>
SSCAN_D bool valid_id(double id, int64_t vocab) {
  return id >= 0 && id < double(vocab) && id == floor(id);
}

template <class T>
__global__ void embedding_kernel(const T* w, const T* ids, T* out, int64_t n, int64_t vocab,
                                 int64_t dim) {
  const int64_t total = n * dim;
  for (int64_t e = global_index(); e < total; e += global_stride()) {
    const int64_t i = e / dim;
    const int64_t j = e - i * dim;
    const double id = Elem<T>::load(ids, i);
    const double v = valid_id<T>(id, vocab) ? Elem<T>::load(w, int64_t(id) * dim + j) : NAN;
    Elem<T>::store(out, e, v);
  }
}

struct EmbPlan {
  int64_t n, vocab, dim;
  int64_t col_tiles;      // ceil(dim / kThreads)
  int64_t chunks, chunk;  // over the n ids
};

constexpr int64_t kEmbBlocksTarget = 264;
constexpr int64_t kEmbMinChunk = 4096;

EmbPlan plan_emb(const Tensor& ids, const Tensor& dweight) {
  EmbPlan p{};
  p.n = ids.numel();
  p.vocab = dweight.shape[0];
  p.dim = dweight.shape[1];
  p.col_tiles = (p.dim + kThreads - 1) / kThreads;
  const int64_t rows = p.vocab * p.col_tiles;
  int64_t want = rows > 0 ? (kEmbBlocksTarget + rows - 1) / rows : 1;
  const int64_t most = (p.n + kEmbMinChunk - 1) / kEmbMinChunk;
  if (want > most) want = most;
  if (want < 1) want = 1;
  p.chunk = p.n > 0 ? (p.n + want - 1) / want : 1;
  p.chunks = p.n > 0 ? (p.n + p.chunk - 1) / p.chunk : 1;
  return p;
}

template <class T>
__global__ void embedding_bwd_kernel(const T* ids, const T* dy, T* dw, double* partial, EmbPlan p) {
  __shared__ int scan[kThreads];
  __shared__ int64_t hits[kThreads];
  const unsigned t = threadIdx.x;
  const int64_t items = p.chunks * p.vocab * p.col_tiles;
  for (int64_t item = blockIdx.x; item < items; item += gridDim.x) {
    const int64_t ct = item % p.col_tiles;
    const int64_t v = (item / p.col_tiles) % p.vocab;
    const int64_t q = item / (p.col_tiles * p.vocab);
    const int64_t j = ct * kThreads + t;
    const int64_t i1 = (q + 1) * p.chunk < p.n ? (q + 1) * p.chunk : p.n;
    double acc = 0;
    for (int64_t i0 = q * p.chunk; i0 < i1; i0 += blockDim.x) {
      const int64_t i = i0 + t;
      const int hit = i < i1 && Elem<T>::load(ids, i) == double(v) ? 1 : 0;
      // inclusive prefix sum of the hit flags: hit k of the tile goes to hits[k], in order
      scan[t] = hit;
      __syncthreads();
      for (unsigned off = 1; off < blockDim.x; off <<= 1) {
        const int add = t >= off ? scan[t - off] : 0;
        __syncthreads();
        scan[t] += add;
        __syncthreads();
      }
      if (hit) hits[scan[t] - 1] = i;
      const int count = scan[blockDim.x - 1];
      __syncthreads();
      if (j < p.dim)
        for (int k = 0; k < count; ++k) acc += Elem<T>::load(dy, hits[k] * p.dim + j);
      __syncthreads();
    }
    if (j < p.dim) {
      if (p.chunks == 1) Elem<T>::store(dw, v * p.dim + j, acc);
      else partial[(q * p.vocab + v) * p.dim + j] = acc;
    }
  }
}

template <class T>
__global__ void embedding_bwd_partials_kernel(const double* partial, T* dw, EmbPlan p) {
  const int64_t per_chunk = p.vocab * p.dim;
  for (int64_t e = global_index(); e < per_chunk; e += global_stride()) {
    double acc = 0;
    for (int64_t q = 0; q < p.chunks; ++q) acc += partial[q * per_chunk + e];
    Elem<T>::store(dw, e, acc);
  }
}

}  // namespace

sscanError_t embedding(const Tensor& weight, const Tensor& ids, const Tensor& out,
                       sscanStream_t stream) {
  const int64_t n = ids.numel();
  const int64_t dim = weight.shape[1];
  if (n * dim == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(weight.dtype, T, {
    auto kern = &embedding_kernel<T>;
    SSCAN_LAUNCH(kern, dim3(grid_for(n * dim)), dim3(kThreads), 0, stream,
                 static_cast<const T*>(weight.data), static_cast<const T*>(ids.data),
                 static_cast<T*>(out.data), n, weight.shape[0], dim);
  });
  return last_launch_error();
}

size_t embedding_bwd_workspace_bytes(const Tensor& ids, const Tensor& dweight) {
  const EmbPlan p = plan_emb(ids, dweight);
  return p.chunks > 1 ? size_t(p.chunks * p.vocab * p.dim) * sizeof(double) : 0;
}

sscanError_t embedding_bwd(const Tensor& ids, const Tensor& dy, const Tensor& dweight,
                           void* workspace, sscanStream_t stream) {
  const EmbPlan p = plan_emb(ids, dweight);
  if (p.vocab * p.dim == 0) return sscanSuccess;
  SSCAN_DISPATCH_FLOAT(dweight.dtype, T, {
    T* pdw = static_cast<T*>(dweight.data);
    double* partial = static_cast<double*>(workspace);
    const int64_t blocks = p.chunks * p.vocab * p.col_tiles;
    auto kern = &embedding_bwd_kernel<T>;
    SSCAN_LAUNCH(kern, dim3(unsigned(blocks < kMaxBlocks ? blocks : kMaxBlocks)), dim3(kThreads), 0,
                 stream, static_cast<const T*>(ids.data), static_cast<const T*>(dy.data), pdw,
                 partial, p);
    if (p.chunks > 1) {
      auto kfin = &embedding_bwd_partials_kernel<T>;
      SSCAN_LAUNCH(kfin, dim3(grid_for(p.vocab * p.dim)), dim3(kThreads), 0, stream, partial, pdw, p);
    }
  });
  return last_launch_error();
}

}  // namespace ops
}  // namespace sscan
