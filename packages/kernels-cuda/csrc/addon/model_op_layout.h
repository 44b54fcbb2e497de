// The wire format of modelOp(device, name, meta, buffers): the one definition, exported to
// JS as `modelOpLayout` (core's native/model_op_args.ts packs by these names).
//
//   meta (Float64Array, kOpMetaLength):
//     [0, kOpScalars)            the op's scalars, in the order of its `scalars` list
//     then per tensor slot i     dtype, rank, shape[kOpMaxRank], strides[kOpMaxRank]
//                                (dtype: index into kOpDTypeNames; strides in elements)
//   buffers (BigInt64Array, 2 * kOpTensors): per tensor slot [handle, byteOffset]
//     (handle 0n: absent; only slots marked optional may be absent)
#pragma once

#include <cstdint>

namespace sscan {
namespace addon {

constexpr int kOpScalars = 8;
constexpr int kOpTensors = 6;
constexpr int kOpMaxRank = 8;
constexpr int kOpTensorMeta = 2 + 2 * kOpMaxRank;
constexpr int kOpMetaLength = kOpScalars + kOpTensors * kOpTensorMeta;

// Order = sscan::ops::ElemType.
constexpr const char* kOpDTypeNames[] = {"float32", "float64", "float16", "bfloat16"};
constexpr int kOpDTypes = 4;

enum class ModelOp {
  Binary, Unary, UnaryGrad, Sum, StridedCopy, MatMul, CausalConv1d, CausalConv1dBackward,
  RMSNorm, RMSNormBackward, Embedding, EmbeddingBackward, CrossEntropy, CrossEntropyBackward,
  AdamWUpdate,
};

struct ModelOpSpec {
  ModelOp op;
  const char* name;               // kernel_names.ts's name
  const char* tensors[kOpTensors];  // slot names (nullptr ends the list)
  uint32_t optional;              // bit i: slot i may be absent
  const char* scalars[kOpScalars];
};

constexpr const char* kBinaryOps[] = {"add", "sub", "mul", "div"};
constexpr const char* kUnaryOps[] = {"neg", "exp", "log", "sigmoid", "silu", "softplus"};

constexpr ModelOpSpec kModelOps[] = {
    {ModelOp::Binary, "Binary", {"a", "b", "out"}, 0, {"op"}},
    {ModelOp::Unary, "Unary", {"x", "out"}, 0, {"op"}},
    {ModelOp::UnaryGrad, "UnaryGrad", {"x", "dy", "dx"}, 0, {"op"}},
    {ModelOp::Sum, "Sum", {"x", "out"}, 0, {"axesMask"}},
    {ModelOp::StridedCopy, "StridedCopy", {"src", "dst"}, 0, {}},
    {ModelOp::MatMul, "MatMul", {"a", "b", "out"}, 0, {"transposeA", "transposeB"}},
    {ModelOp::CausalConv1d, "CausalConv1d", {"x", "weight", "bias", "out"}, 1u << 2, {}},
    {ModelOp::CausalConv1dBackward, "CausalConv1dBackward",
     {"x", "weight", "dy", "dx", "dWeight", "dBias"}, 1u << 5, {}},
    {ModelOp::RMSNorm, "RMSNorm", {"x", "weight", "out"}, 0, {"eps"}},
    {ModelOp::RMSNormBackward, "RMSNormBackward", {"x", "weight", "dy", "dx", "dWeight"}, 0,
     {"eps"}},
    {ModelOp::Embedding, "Embedding", {"weight", "ids", "out"}, 0, {}},
    {ModelOp::EmbeddingBackward, "EmbeddingBackward", {"ids", "dy", "dWeight"}, 0, {}},
    {ModelOp::CrossEntropy, "CrossEntropy", {"logits", "targets", "loss"}, 0, {"ignoreIndex"}},
    {ModelOp::CrossEntropyBackward, "CrossEntropyBackward",
     {"logits", "targets", "dLoss", "dLogits"}, 0, {"ignoreIndex"}},
    {ModelOp::AdamWUpdate, "AdamWUpdate", {"param", "grad", "m", "v"}, 1u << 3,
     {"lr", "beta1", "beta2", "eps", "weightDecay", "step", "sgd"}},
};

}  // namespace addon
}  // namespace sscan
