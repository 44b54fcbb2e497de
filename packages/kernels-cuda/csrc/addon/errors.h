// Errors of the addon: every failure becomes one C++ exception type, `Failure`, which the
// export wrapper (Export, below) turns into a JS exception. Native code never aborts: a CUDA
// error, a bad argument or an exhausted allocator all end as a catchable JS error.
//
// JS sees: an Error (TypeError/RangeError for bad arguments) whose message names the
// operation, what went wrong and where (file:line), with properties
//   code       'ERR_SSCAN_CUDA' | 'ERR_SSCAN_OUT_OF_MEMORY' | 'ERR_SSCAN_INVALID_HANDLE'
//              | 'ERR_SSCAN_INVALID_ARG' | 'ERR_SSCAN_NOT_BUILT' | 'ERR_SSCAN_INTERNAL'
//   cudaError  the CUDA error's name (e.g. 'cudaErrorMemoryAllocation'), when one caused it
//   op         the operation that failed (e.g. 'malloc', 'selectiveScanFwd')
//   file, line where in csrc/addon it was detected
#pragma once

#include <cuda_runtime.h>
#include <napi.h>

#include <string>

namespace sscan {
namespace addon {

enum class JsErrorKind { Error, TypeError, RangeError };

struct Failure {
  JsErrorKind kind = JsErrorKind::Error;
  std::string code;
  std::string message;
  std::string op;
  std::string cuda_error;  // empty unless a CUDA call failed
  const char* file = "";
  int line = 0;
};

// A CUDA call failed: throws Failure (ERR_SSCAN_OUT_OF_MEMORY for cudaErrorMemoryAllocation).
// `what` says which call and with which arguments, e.g. "cudaMalloc(4096 bytes)".
[[noreturn]] void ThrowCuda(cudaError_t err, const std::string& op, const std::string& what,
                            const char* file, int line);

// Bad input from JS: names the function, the argument, what was expected and what came.
[[noreturn]] void ThrowArg(JsErrorKind kind, const std::string& op, const std::string& arg,
                           const std::string& expected, const std::string& got, const char* file,
                           int line);

[[noreturn]] void ThrowFailure(const std::string& code, const std::string& op,
                               const std::string& message, const char* file, int line);

// The JS error object for a Failure (for promise rejections, which are not thrown).
Napi::Error MakeJsError(Napi::Env env, const Failure& f);

// Converts any exception in flight into a pending JS exception. Called only from Export.
void RethrowAsJs(Napi::Env env, const char* op);

// Wraps an exported function so no C++ exception ever crosses into Node (that would abort).
template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
Napi::Value Export(const Napi::CallbackInfo& info) {
  try {
    return Fn(info);
  } catch (...) {
    RethrowAsJs(info.Env(), "sscan_cuda");
    return info.Env().Undefined();
  }
}

}  // namespace addon
}  // namespace sscan

// Checks a CUDA runtime call; `op` is the JS-visible operation, `what` describes the call.
// cudaGetLastError() clears a non-sticky error so the next operation starts clean.
#define SSCAN_CUDA_CHECK(op, what, call)                                    \
  do {                                                                      \
    cudaError_t sscan_err_ = (call);                                        \
    if (sscan_err_ != cudaSuccess) {                                        \
      (void)cudaGetLastError();                                             \
      ::sscan::addon::ThrowCuda(sscan_err_, (op), (what), __FILE__, __LINE__); \
    }                                                                       \
  } while (0)

#define SSCAN_ARG_ERROR(kind, op, arg, expected, got) \
  ::sscan::addon::ThrowArg((kind), (op), (arg), (expected), (got), __FILE__, __LINE__)
