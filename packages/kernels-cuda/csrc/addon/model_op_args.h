// The arguments of one modelOp call (model_op_layout.h's wire format), read and checked:
// OpArgs resolves every tensor slot to a device pointer whose whole strided extent lies in its
// allocation, and offers the checks the ops share (dtype, layout, shape), each throwing a
// TypeError/RangeError that names the op and the argument. Workspace: scratch memory for
// one launch from the caching allocator.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "args.h"
#include "errors.h"
#include "model_op_layout.h"
#include "ops/model_ops.h"
#include "runtime.h"

namespace sscan {
namespace addon {

using ops::ElemType;
using ops::Tensor;

constexpr double kOpMaxExtent = 1099511627776.0;  // 2^40
constexpr unsigned __int128 kOpMaxBytes = (unsigned __int128)1 << 53;

inline std::string Num(double v) {
  char buf[40];
  snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
inline std::string ShapeOf(const Tensor& t) {
  std::string s = "[";
  for (int i = 0; i < t.rank; ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}
inline size_t ElemBytes(ElemType t) {
  return t == ElemType::Float64 ? 8 : t == ElemType::Float32 ? 4 : 2;
}

// The meta and buffers of one call, read with every check; tensors by slot name.
class OpArgs {
 public:
  OpArgs(const Napi::CallbackInfo& info, const ModelOpSpec& spec, const std::string& op)
      : spec_(spec), op_(op) {
    Napi::TypedArray m = ArgTypedArray(info, 2, op.c_str(), "meta", napi_float64_array, kOpMetaLength);
    meta_ = reinterpret_cast<const double*>(static_cast<const uint8_t*>(m.ArrayBuffer().Data()) +
                                            m.ByteOffset());
    Napi::TypedArray b =
        ArgTypedArray(info, 3, op.c_str(), "buffers", napi_bigint64_array, 2 * kOpTensors);
    buffers_ = reinterpret_cast<const int64_t*>(static_cast<const uint8_t*>(b.ArrayBuffer().Data()) +
                                                b.ByteOffset());
  }

  double Scalar(int i) const {
    const double v = meta_[i];
    if (!std::isfinite(v)) Bad(RangeError, ScalarArg(i), "a finite number", Num(v));
    return v;
  }
  int64_t IntScalar(int i, int64_t lo, int64_t hi) const {
    const double v = Scalar(i);
    if (v != std::floor(v) || v < double(lo) || v > double(hi))
      Bad(RangeError, ScalarArg(i), "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", Num(v));
    return int64_t(v);
  }
  bool Flag(int i) const { return IntScalar(i, 0, 1) == 1; }

  // Reads and resolves every tensor slot of the op (a pointer range checked on `device`).
  void Resolve(Runtime& rt, int device) {
    for (int s = 0; s < kOpTensors && spec_.tensors[s] != nullptr; ++s) {
      const int64_t handle = buffers_[2 * s], offset = buffers_[2 * s + 1];
      const std::string arg = std::string("buffers.") + spec_.tensors[s];
      if (handle == 0) {
        if (!((spec_.optional >> s) & 1u))
          Bad(TypeError, arg, "a memory handle (the slot is required)", "0n (absent)");
        continue;
      }
      if (handle < 0 || offset < 0)
        Bad(RangeError, arg, "a positive handle and a byte offset >= 0",
            "[" + std::to_string(handle) + "n, " + std::to_string(offset) + "n]");
      Tensor& t = tensors_[s];
      const double* m = meta_ + kOpScalars + s * kOpTensorMeta;
      const std::string name = std::string("meta.") + spec_.tensors[s];
      t.dtype = ElemType(MetaInt(m[0], name + ".dtype", 0, kOpDTypes - 1));
      t.rank = int(MetaInt(m[1], name + ".rank", 0, kOpMaxRank));
      unsigned __int128 last = 0;  // the largest element offset
      bool empty = false;
      for (int d = 0; d < t.rank; ++d) {
        t.shape[d] = MetaInt(m[2 + d], name + ".shape[" + std::to_string(d) + "]", 0, int64_t(kOpMaxExtent));
        t.strides[d] = MetaInt(m[2 + kOpMaxRank + d], name + ".strides[" + std::to_string(d) + "]", 0,
                               int64_t(kOpMaxExtent));
        if (t.shape[d] == 0) empty = true;
        else last += (unsigned __int128)(t.shape[d] - 1) * (unsigned __int128)t.strides[d];
      }
      const unsigned __int128 bytes = empty ? 0 : (last + 1) * ElemBytes(t.dtype);
      if (bytes > kOpMaxBytes) Bad(RangeError, name, "a view of at most 2^53 bytes", ShapeOf(t));
      t.data = rt.Resolve(uint64_t(handle), uint64_t(offset), uint64_t(bytes), device,
                          ElemBytes(t.dtype), op_.c_str(), arg.c_str());
      present_ |= 1u << s;
    }
  }

  const Tensor& T(int s) const { return tensors_[s]; }
  const Tensor* Opt(int s) const { return (present_ >> s) & 1u ? &tensors_[s] : nullptr; }
  const std::string& op() const { return op_; }

  // ---- checks shared by the ops ----
  void Float(int s) const {
    const ElemType t = tensors_[s].dtype;
    if (t != ElemType::Float32 && t != ElemType::Float64)
      Bad(TypeError, Meta(s, "dtype"), "float32 or float64", kOpDTypeNames[int(t)]);
  }
  void SameDType(int s, int like) const {
    if (tensors_[s].dtype != tensors_[like].dtype)
      Bad(TypeError, Meta(s, "dtype"), std::string(kOpDTypeNames[int(tensors_[like].dtype)]) + " (as " +
          spec_.tensors[like] + ")", kOpDTypeNames[int(tensors_[s].dtype)]);
  }
  void Contiguous(int s) const {
    const Tensor& t = tensors_[s];
    int64_t expected = 1;
    for (int d = t.rank - 1; d >= 0; --d) {
      if (t.shape[d] != 1 && t.strides[d] != expected)
        Bad(RangeError, Meta(s, "strides"), "contiguous row-major strides", "stride " +
            std::to_string(t.strides[d]) + " on axis " + std::to_string(d) + " of " + ShapeOf(t));
      expected *= t.shape[d];
    }
  }
  void Shape(int s, std::initializer_list<int64_t> want) const {
    Tensor w;
    w.rank = int(want.size());
    int i = 0;
    for (int64_t v : want) w.shape[i++] = v;
    SameShapeAs(s, w);
  }
  void SameShapeAs(int s, const Tensor& w) const {
    const Tensor& t = tensors_[s];
    bool same = t.rank == w.rank;
    for (int d = 0; same && d < t.rank; ++d) same = t.shape[d] == w.shape[d];
    if (!same) Bad(RangeError, Meta(s, "shape"), ShapeOf(w), ShapeOf(t));
  }
  void Rank(int s, int rank) const {
    if (tensors_[s].rank != rank)
      Bad(RangeError, Meta(s, "shape"), "rank " + std::to_string(rank), ShapeOf(tensors_[s]));
  }
  // Float, contiguous, and of `like`'s dtype: what most model-op operands must be.
  void Plain(int s, int like) const {
    Float(s);
    SameDType(s, like);
    Contiguous(s);
  }

  enum Kind { TypeError, RangeError };
  [[noreturn]] void Bad(Kind k, const std::string& arg, const std::string& expected,
                        const std::string& got) const {
    ThrowArg(k == TypeError ? JsErrorKind::TypeError : JsErrorKind::RangeError, op_, arg, expected,
             got, __FILE__, __LINE__);
  }

 private:
  int64_t MetaInt(double v, const std::string& arg, int64_t lo, int64_t hi) const {
    if (!(v == std::floor(v)) || v < double(lo) || v > double(hi))
      Bad(RangeError, arg, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", Num(v));
    return int64_t(v);
  }
  std::string ScalarArg(int i) const {
    return "meta[" + std::to_string(i) + "] (" + (spec_.scalars[i] ? spec_.scalars[i] : "unused") + ")";
  }
  std::string Meta(int s, const char* field) const {
    return std::string("meta.") + spec_.tensors[s] + "." + field;
  }

  const ModelOpSpec& spec_;
  std::string op_;
  const double* meta_ = nullptr;
  const int64_t* buffers_ = nullptr;
  Tensor tensors_[kOpTensors];
  uint32_t present_ = 0;
};

// A workspace from the caching allocator, given back right after the launch (stream order
// keeps it alive for the kernels) or when an exception unwinds.
class Workspace {
 public:
  Workspace(Runtime& rt, int device, size_t bytes, const char* op) : rt_(rt), op_(op) {
    if (bytes > 0) {
      handle_ = rt.Allocate(device, bytes, op);
      ptr_ = rt.Lookup(handle_, op, "workspace").ptr;
    }
  }
  ~Workspace() {
    if (handle_ != 0) {
      try {
        rt_.Free(handle_, op_);
      } catch (...) {
      }
    }
  }
  void* get() const { return ptr_; }

 private:
  Runtime& rt_;
  const char* op_;
  uint64_t handle_ = 0;
  void* ptr_ = nullptr;
};

}  // namespace addon
}  // namespace sscan
