// modelOp(device, name, meta, buffers): every model op of kernel_names.ts ("Model ops") on the
// device's stream, through one entry point (wire format: model_op_layout.h). Each op's
// sizes, dtypes and layouts are checked here, and every pointer range by OpArgs, before
// anything is enqueued; the kernels are in csrc/ops/ (matmul: cuBLAS/rocBLAS through
// blas_loader.cpp when loaded, else csrc/ops/matmul.cu). Nothing waits.
// Also exported: modelOpLayout (the slot names) and matMulBackend() (which matmul runs).
#include <cmath>
#include <string>

#include "bindings.h"
#include "blas_loader.h"
#include "model_op_args.h"

namespace sscan {
namespace addon {

namespace {

const ModelOpSpec* FindOp(const std::string& name) {
  for (const ModelOpSpec& s : kModelOps)
    if (name == s.name) return &s;
  return nullptr;
}

void Check(sscanError_t err, const std::string& op, const char* fn) {
  SSCAN_CUDA_CHECK(op, fn, err);
}

// Shapes and layouts per op (slot numbers are the spec's order in model_op_layout.h).
void Launch(const ModelOpSpec& spec, OpArgs& a, Runtime& rt, DeviceState& d) {
  const std::string& op = a.op();
  const cudaStream_t s = d.stream;
  switch (spec.op) {
    case ModelOp::Binary: {  // a, b, out
      const int64_t code = a.IntScalar(0, 0, 3);
      a.Float(2);
      a.Contiguous(2);
      for (int i : {0, 1}) {
        a.Float(i);
        a.SameDType(i, 2);
        a.SameShapeAs(i, a.T(2));
      }
      Check(ops::binary(ops::BinaryOp(code), a.T(0), a.T(1), a.T(2), s), op, "ops::binary");
      return;
    }
    case ModelOp::Unary:
    case ModelOp::UnaryGrad: {  // x, out | x, dy, dx
      const int64_t code = a.IntScalar(0, 0, 5);
      const int n = spec.op == ModelOp::Unary ? 2 : 3;
      a.Plain(0, 0);
      for (int i = 1; i < n; ++i) {
        a.Plain(i, 0);
        a.SameShapeAs(i, a.T(0));
      }
      if (spec.op == ModelOp::Unary)
        Check(ops::unary(ops::UnaryOp(code), a.T(0), a.T(1), s), op, "ops::unary");
      else
        Check(ops::unary_grad(ops::UnaryOp(code), a.T(0), a.T(1), a.T(2), s), op, "ops::unary_grad");
      return;
    }
    case ModelOp::Sum: {  // x, out
      const Tensor& x = a.T(0);
      a.Float(0);
      const uint32_t mask = uint32_t(a.IntScalar(0, 0, (int64_t(1) << x.rank) - 1));
      a.Plain(1, 0);
      Tensor want = x;
      for (int i = 0; i < x.rank; ++i)
        if ((mask >> i) & 1u) want.shape[i] = 1;
      a.SameShapeAs(1, want);
      Workspace ws(rt, d.device, ops::sum_workspace_bytes(x, mask), op.c_str());
      Check(ops::sum(x, mask, a.T(1), ws.get(), s), op, "ops::sum");
      return;
    }
    case ModelOp::StridedCopy: {  // src, dst: any real dtypes, any strides
      const Tensor& dst = a.T(1);
      a.SameShapeAs(0, dst);
      for (int i = 0; i < dst.rank; ++i)
        if (dst.shape[i] > 1 && dst.strides[i] == 0)
          a.Bad(OpArgs::RangeError, "meta.dst.strides", "non-zero strides on axes longer than 1 "
                "(a broadcast destination would be written twice)", "0 on axis " + std::to_string(i));
      Check(ops::strided_copy(a.T(0), dst, s), op, "ops::strided_copy");
      return;
    }
    case ModelOp::MatMul: {  // a, b, out: contiguous rank 3
      const bool ta = a.Flag(0), tb = a.Flag(1);
      a.Float(2);
      a.Contiguous(2);
      a.Rank(2, 3);
      a.Plain(0, 2);
      a.Plain(1, 2);
      a.Rank(0, 3);
      a.Rank(1, 3);
      const int64_t batch = a.T(2).shape[0], m = a.T(2).shape[1], n = a.T(2).shape[2];
      const int64_t k = ta ? a.T(0).shape[1] : a.T(0).shape[2];
      const int64_t bb = a.T(1).shape[0];
      if (ta) a.Shape(0, {batch, k, m});
      else a.Shape(0, {batch, m, k});
      if (bb != 1 && bb != batch)
        a.Bad(OpArgs::RangeError, "meta.b.shape", "a batch of 1 or " + std::to_string(batch), ShapeOf(a.T(1)));
      if (tb) a.Shape(1, {bb, n, k});
      else a.Shape(1, {bb, k, n});
      if (batch * m * n == 0) return;
      if (k == 0) {
        SSCAN_CUDA_CHECK(op, "cudaMemsetAsync", cudaMemsetAsync(a.T(2).data, 0,
                         size_t(batch * m * n) * ElemBytes(a.T(2).dtype), s));
        return;
      }
      const bool dbl = a.T(2).dtype == ElemType::Float64;
      if (BlasGemm(d, dbl, a.T(0).data, a.T(1).data, a.T(2).data, batch, m, n, k, ta, tb,
                   bb == 1 && batch > 1, op.c_str()))
        return;
      Check(ops::matmul_tiled(a.T(0), a.T(1), a.T(2), ta, tb, s), op, "ops::matmul_tiled");
      return;
    }
    case ModelOp::CausalConv1d:
    case ModelOp::CausalConv1dBackward: {
      // x, weight, bias?, out | x, weight, dy, dx, dWeight, dBias?
      const bool fwd = spec.op == ModelOp::CausalConv1d;
      a.Plain(0, 0);
      a.Rank(0, 3);
      a.Plain(1, 0);
      const Tensor& x = a.T(0);
      const int64_t w = a.T(1).rank == 2 ? a.T(1).shape[1] : 0;
      if (w < 1 || w > ops::kMaxConvWidth || a.T(1).shape[0] != x.shape[1])
        a.Bad(OpArgs::RangeError, "meta.weight.shape",
              "(channels=" + std::to_string(x.shape[1]) + ", width in 1..8)", ShapeOf(a.T(1)));
      const int bias = fwd ? 2 : 5;
      if (a.Opt(bias) != nullptr) {
        a.Plain(bias, 0);
        a.Shape(bias, {x.shape[1]});
      }
      // Slots shaped like x: out (forward) | dy, dx (backward). Not a conditional over two
      // braced lists: their backing arrays die at the end of the range-for's init expression.
      static constexpr int kFwdLikeX[] = {3}, kBwdLikeX[] = {2, 3};
      const int* like_x = fwd ? kFwdLikeX : kBwdLikeX;
      for (int j = 0, n = fwd ? 1 : 2; j < n; ++j) {
        a.Plain(like_x[j], 0);
        a.SameShapeAs(like_x[j], x);
      }
      if (fwd) {
        Check(ops::causal_conv1d(x, a.T(1), a.Opt(2), a.T(3), s), op, "ops::causal_conv1d");
        return;
      }
      a.Plain(4, 0);
      a.SameShapeAs(4, a.T(1));
      Workspace ws(rt, d.device, ops::causal_conv1d_bwd_workspace_bytes(x, a.T(1)), op.c_str());
      Check(ops::causal_conv1d_bwd(x, a.T(1), a.T(2), a.T(3), a.T(4), a.Opt(5), ws.get(), s), op,
            "ops::causal_conv1d_bwd");
      return;
    }
    case ModelOp::RMSNorm:
    case ModelOp::RMSNormBackward: {  // x, weight, out | x, weight, dy, dx, dWeight
      const double eps = a.Scalar(0);
      if (eps < 0) a.Bad(OpArgs::RangeError, "meta[0] (eps)", "a number >= 0", Num(eps));
      a.Plain(0, 0);
      const Tensor& x = a.T(0);
      if (x.rank < 1) a.Rank(0, 1);
      a.Plain(1, 0);
      a.Shape(1, {x.shape[x.rank - 1]});
      if (spec.op == ModelOp::RMSNorm) {
        a.Plain(2, 0);
        a.SameShapeAs(2, x);
        Check(ops::rms_norm(x, a.T(1), a.T(2), eps, s), op, "ops::rms_norm");
        return;
      }
      for (int i : {2, 3}) {
        a.Plain(i, 0);
        a.SameShapeAs(i, x);
      }
      a.Plain(4, 0);
      a.SameShapeAs(4, a.T(1));
      Workspace ws(rt, d.device, ops::rms_norm_bwd_workspace_bytes(x), op.c_str());
      Check(ops::rms_norm_bwd(x, a.T(1), a.T(2), a.T(3), a.T(4), eps, ws.get(), s), op,
            "ops::rms_norm_bwd");
      return;
    }
    case ModelOp::Embedding: {  // weight (vocab, dim), ids (n), out (n, dim)
      for (int i : {0, 1, 2}) a.Plain(i, 0);
      a.Rank(0, 2);
      a.Rank(1, 1);
      a.Shape(2, {a.T(1).shape[0], a.T(0).shape[1]});
      Check(ops::embedding(a.T(0), a.T(1), a.T(2), s), op, "ops::embedding");
      return;
    }
    case ModelOp::EmbeddingBackward: {  // ids (n), dy (n, dim), dWeight (vocab, dim)
      for (int i : {0, 1, 2}) a.Plain(i, 2);
      a.Rank(0, 1);
      a.Rank(2, 2);
      a.Shape(1, {a.T(0).shape[0], a.T(2).shape[1]});
      Workspace ws(rt, d.device, ops::embedding_bwd_workspace_bytes(a.T(0), a.T(2)), op.c_str());
      Check(ops::embedding_bwd(a.T(0), a.T(1), a.T(2), ws.get(), s), op, "ops::embedding_bwd");
      return;
    }
    case ModelOp::CrossEntropy:
    case ModelOp::CrossEntropyBackward: {  // logits, targets, loss | + dLoss, dLogits
      const double ignore = a.Scalar(0);
      const bool fwd = spec.op == ModelOp::CrossEntropy;
      a.Plain(0, 0);
      a.Rank(0, 2);
      if (a.T(0).shape[1] < 1) a.Bad(OpArgs::RangeError, "meta.logits.shape", "at least one class", ShapeOf(a.T(0)));
      a.Plain(1, 0);
      a.Shape(1, {a.T(0).shape[0]});
      a.Plain(2, 0);
      if (a.T(2).numel() != 1) a.Bad(OpArgs::RangeError, fwd ? "meta.loss.shape" : "meta.dLoss.shape", "one element", ShapeOf(a.T(2)));
      Workspace ws(rt, d.device, ops::cross_entropy_workspace_bytes(a.T(0)), op.c_str());
      if (fwd) {
        Check(ops::cross_entropy(a.T(0), a.T(1), a.T(2), ignore, ws.get(), s), op, "ops::cross_entropy");
        return;
      }
      a.Plain(3, 0);
      a.SameShapeAs(3, a.T(0));
      Check(ops::cross_entropy_bwd(a.T(0), a.T(1), a.T(2), a.T(3), ignore, ws.get(), s), op,
            "ops::cross_entropy_bwd");
      return;
    }
    case ModelOp::AdamWUpdate: {  // param, grad, m, v?
      ops::AdamWParams p{};
      p.lr = a.Scalar(0);
      p.beta1 = a.Scalar(1);
      p.beta2 = a.Scalar(2);
      p.eps = a.Scalar(3);
      p.weight_decay = a.Scalar(4);
      const int64_t step = a.IntScalar(5, 1, int64_t(1) << 40);
      p.sgd = a.Flag(6);
      p.c1 = 1.0 / (1.0 - std::pow(p.beta1, double(step)));
      p.c2 = 1.0 / (1.0 - std::pow(p.beta2, double(step)));
      a.Plain(0, 0);
      const int last = p.sgd ? 2 : 3;
      if (!p.sgd && a.Opt(3) == nullptr)
        a.Bad(OpArgs::TypeError, "buffers.v", "a memory handle (AdamW needs v; only sgd may omit it)", "0n (absent)");
      for (int i = 1; i <= last; ++i) {
        a.Plain(i, 0);
        a.SameShapeAs(i, a.T(0));
      }
      Check(ops::adamw_update(a.T(0), a.T(1), a.T(2), p.sgd ? nullptr : a.Opt(3), p, s), op,
            "ops::adamw_update");
      return;
    }
  }
}

// modelOp(device, name, meta, buffers): void
Napi::Value ModelOpFn(const Napi::CallbackInfo& info) {
  Runtime& rt = Runtime::Of(info.Env());
  const int64_t device = ArgInt(info, 0, "modelOp", "device", 0, 1 << 20);
  if (!info[1].IsString())
    ThrowArg(JsErrorKind::TypeError, "modelOp", "name", "a model-op name (modelOpLayout.ops)",
             Describe(info[1]), __FILE__, __LINE__);
  const std::string name = info[1].As<Napi::String>().Utf8Value();
  const ModelOpSpec* spec = FindOp(name);
  if (spec == nullptr) {
    std::string names;
    for (const ModelOpSpec& s : kModelOps) names += std::string(names.empty() ? "" : ", ") + s.name;
    ThrowArg(JsErrorKind::RangeError, "modelOp", "name", "one of " + names, "'" + name + "'",
             __FILE__, __LINE__);
  }
  OpArgs args(info, *spec, "modelOp(" + name + ")");
  // Argument arrays are checked before the first CUDA call.
  args.Resolve(rt, static_cast<int>(device));
  DeviceState& d = rt.Device(device, args.op().c_str());
  Launch(*spec, args, rt, d);
  return info.Env().Undefined();
}

Napi::Value MatMulBackend(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), MatMulBackendName());
}

Napi::Array Strings(Napi::Env env, const char* const* names, size_t n) {
  Napi::Array a = Napi::Array::New(env, n);
  for (size_t i = 0; i < n && names[i] != nullptr; ++i) a.Set(uint32_t(i), Napi::String::New(env, names[i]));
  return a;
}
size_t Count(const char* const* names, size_t cap) {
  size_t n = 0;
  while (n < cap && names[n] != nullptr) ++n;
  return n;
}

}  // namespace

void RegisterModelOps(Napi::Env env, Napi::Object exports) {
  exports.Set("modelOp", Napi::Function::New<Export<ModelOpFn>>(env, "modelOp"));
  exports.Set("matMulBackend", Napi::Function::New<Export<MatMulBackend>>(env, "matMulBackend"));
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("metaLength", Napi::Number::New(env, kOpMetaLength));
  layout.Set("scalarSlots", Napi::Number::New(env, kOpScalars));
  layout.Set("tensorSlots", Napi::Number::New(env, kOpTensors));
  layout.Set("maxRank", Napi::Number::New(env, kOpMaxRank));
  layout.Set("dtypes", Strings(env, kOpDTypeNames, kOpDTypes));
  Napi::Object enums = Napi::Object::New(env);
  enums.Set("Binary", Strings(env, kBinaryOps, 4));
  enums.Set("Unary", Strings(env, kUnaryOps, 6));
  enums.Set("UnaryGrad", Strings(env, kUnaryOps, 6));
  layout.Set("opEnums", enums);
  Napi::Object opsObj = Napi::Object::New(env);
  for (const ModelOpSpec& s : kModelOps) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("tensors", Strings(env, s.tensors, Count(s.tensors, kOpTensors)));
    Napi::Array optional = Napi::Array::New(env);
    for (int i = 0; i < kOpTensors; ++i)
      if ((s.optional >> i) & 1u) optional.Set(optional.Length(), Napi::String::New(env, s.tensors[i]));
    o.Set("optional", optional);
    o.Set("scalars", Strings(env, s.scalars, Count(s.scalars, kOpScalars)));
    opsObj.Set(s.name, o);
  }
  layout.Set("ops", opsObj);
  exports.Set("modelOpLayout", layout);
}

}  // namespace addon
}  // namespace sscan
