#include "args.h"

#include <cmath>

#include "errors.h"

namespace sscan {
namespace addon {

namespace {

const char* TypedArrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "typed array";
  }
}

// 2^53: beyond it a JS number no longer holds every integer exactly.
constexpr double kMaxSafe = 9007199254740991.0;

}  // namespace

std::string Describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isnan(d)) return "NaN";
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    return lossless ? std::to_string(x) + "n" : "a BigInt outside int64";
  }
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    return std::string("a ") + TypedArrayName(ta.TypedArrayType()) + " of length " +
           std::to_string(ta.ElementLength());
  }
  if (v.IsDataView()) return "a DataView";
  if (v.IsArrayBuffer()) return "an ArrayBuffer";
  if (v.IsArray()) return "an Array";
  if (v.IsFunction()) return "a function";
  if (v.IsObject()) return "an object";
  return "a value of unknown type";
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
               int64_t lo, int64_t hi) {
  Napi::Value v = info[i];
  std::string expected =
      "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!v.IsNumber()) SSCAN_ARG_ERROR(JsErrorKind::TypeError, op, name, expected, Describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == std::floor(d)) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
    SSCAN_ARG_ERROR(JsErrorKind::RangeError, op, name, expected, Describe(v));
  }
  return static_cast<int64_t>(d);
}

uint64_t ArgHandle(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  Napi::Value v = info[i];
  const char* expected = "a memory handle (a positive BigInt returned by malloc)";
  if (!v.IsBigInt()) SSCAN_ARG_ERROR(JsErrorKind::TypeError, op, name, expected, Describe(v));
  bool lossless = false;
  int64_t h = v.As<Napi::BigInt>().Int64Value(&lossless);
  if (!lossless || h <= 0) {
    SSCAN_ARG_ERROR(JsErrorKind::RangeError, op, name, expected, Describe(v));
  }
  return static_cast<uint64_t>(h);
}

uint64_t ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  Napi::Value v = info[i];
  const char* expected = "a byte count (a non-negative safe integer or BigInt)";
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless || x < 0) {
      SSCAN_ARG_ERROR(JsErrorKind::RangeError, op, name, expected, Describe(v));
    }
    return static_cast<uint64_t>(x);
  }
  if (!v.IsNumber()) SSCAN_ARG_ERROR(JsErrorKind::TypeError, op, name, expected, Describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == std::floor(d)) || d < 0 || d > kMaxSafe) {
    SSCAN_ARG_ERROR(JsErrorKind::RangeError, op, name, expected, Describe(v));
  }
  return static_cast<uint64_t>(d);
}

HostBytes ArgHostView(const Napi::CallbackInfo& info, size_t i, const char* op,
                      const char* name) {
  Napi::Value v = info[i];
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    auto* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data());
    return HostBytes{base + ta.ByteOffset(), ta.ByteLength()};
  }
  if (v.IsDataView()) {
    auto dv = v.As<Napi::DataView>();
    auto* base = static_cast<uint8_t*>(dv.ArrayBuffer().Data());
    return HostBytes{base + dv.ByteOffset(), dv.ByteLength()};
  }
  SSCAN_ARG_ERROR(JsErrorKind::TypeError, op, name,
                  "an ArrayBufferView (e.g. a Uint8Array or Float32Array)", Describe(v));
}

Napi::TypedArray ArgTypedArray(const Napi::CallbackInfo& info, size_t i, const char* op,
                               const char* name, napi_typedarray_type type, size_t length) {
  Napi::Value v = info[i];
  std::string expected =
      std::string("a ") + TypedArrayName(type) + " of length " + std::to_string(length);
  if (!v.IsTypedArray()) SSCAN_ARG_ERROR(JsErrorKind::TypeError, op, name, expected, Describe(v));
  auto ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != type) {
    SSCAN_ARG_ERROR(JsErrorKind::TypeError, op, name, expected, Describe(v));
  }
  if (ta.ElementLength() != length) {
    SSCAN_ARG_ERROR(JsErrorKind::RangeError, op, name, expected, Describe(v));
  }
  return ta;
}

}  // namespace addon
}  // namespace sscan
