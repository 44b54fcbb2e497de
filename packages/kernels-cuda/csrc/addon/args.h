// Reading JS arguments without trusting them: every reader checks the type and range and
// throws a TypeError/RangeError naming the function, the argument, what was expected and
// what came.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace sscan {
namespace addon {

// Describes a JS value for error messages: "a string", "-3", "undefined", "a Float32Array".
std::string Describe(const Napi::Value& v);

// A JS number that is an integer in [lo, hi].
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
               int64_t lo, int64_t hi);

// A memory handle: a BigInt in [1, 2^63). The allocator checks it is live.
uint64_t ArgHandle(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name);

// A byte count or offset: a number (safe integer) or a BigInt, >= 0.
uint64_t ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name);

// Any ArrayBufferView (typed array or DataView): its bytes, for host<->device copies.
struct HostBytes {
  uint8_t* data;
  size_t size;
};
HostBytes ArgHostView(const Napi::CallbackInfo& info, size_t i, const char* op,
                      const char* name);

// A typed array of the given kind and exact length (the kernel-argument arrays).
Napi::TypedArray ArgTypedArray(const Napi::CallbackInfo& info, size_t i, const char* op,
                               const char* name, napi_typedarray_type type, size_t length);

}  // namespace addon
}  // namespace sscan
