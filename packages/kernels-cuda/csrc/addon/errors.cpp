#include "errors.h"

#include <exception>
#include <new>

namespace sscan {
namespace addon {

namespace {

// Only the file name: the build directory's absolute path says nothing useful to a user.
const char* BaseName(const char* path) {
  const char* base = path;
  for (const char* p = path; *p; ++p) {
    if (*p == '/' || *p == '\\') base = p + 1;
  }
  return base;
}

std::string Where(const char* file, int line) {
  return std::string("[csrc/addon/") + BaseName(file) + ":" + std::to_string(line) + "]";
}

}  // namespace

void ThrowCuda(cudaError_t err, const std::string& op, const std::string& what, const char* file,
               int line) {
  Failure f;
  f.kind = JsErrorKind::Error;
  f.code = err == cudaErrorMemoryAllocation ? "ERR_SSCAN_OUT_OF_MEMORY" : "ERR_SSCAN_CUDA";
  f.op = op;
  f.cuda_error = cudaGetErrorName(err);
  f.file = file;
  f.line = line;
  f.message = op + ": " + what + " failed: " + cudaGetErrorString(err) + " (" + f.cuda_error +
              ") " + Where(file, line);
  // Errors that poison the CUDA context: say so, since every later call will fail too.
  if (err == cudaErrorIllegalAddress || err == cudaErrorLaunchFailure ||
      err == cudaErrorIllegalInstruction || err == cudaErrorMisalignedAddress ||
      err == cudaErrorHardwareStackError || err == cudaErrorAssert) {
    f.message += ". The CUDA context is now unusable (sticky error): restart the process.";
  }
  throw f;
}

void ThrowArg(JsErrorKind kind, const std::string& op, const std::string& arg,
              const std::string& expected, const std::string& got, const char* file, int line) {
  Failure f;
  f.kind = kind;
  f.code = "ERR_SSCAN_INVALID_ARG";
  f.op = op;
  f.file = file;
  f.line = line;
  f.message = op + ": argument '" + arg + "' must be " + expected + ", got " + got + " " +
              Where(file, line);
  throw f;
}

void ThrowFailure(const std::string& code, const std::string& op, const std::string& message,
                  const char* file, int line) {
  Failure f;
  f.kind = code == "ERR_SSCAN_INVALID_HANDLE" ? JsErrorKind::RangeError : JsErrorKind::Error;
  f.code = code;
  f.op = op;
  f.file = file;
  f.line = line;
  f.message = op + ": " + message + " " + Where(file, line);
  throw f;
}

Napi::Error MakeJsError(Napi::Env env, const Failure& f) {
  Napi::Error err = f.kind == JsErrorKind::TypeError    ? Napi::TypeError::New(env, f.message)
                    : f.kind == JsErrorKind::RangeError ? Napi::RangeError::New(env, f.message)
                                                        : Napi::Error::New(env, f.message);
  err.Set("code", Napi::String::New(env, f.code));
  err.Set("op", Napi::String::New(env, f.op));
  if (!f.cuda_error.empty()) err.Set("cudaError", Napi::String::New(env, f.cuda_error));
  err.Set("file", Napi::String::New(env, std::string("csrc/addon/") + BaseName(f.file)));
  err.Set("line", Napi::Number::New(env, f.line));
  return err;
}

void RethrowAsJs(Napi::Env env, const char* op) {
  try {
    throw;
  } catch (const Failure& f) {
    MakeJsError(env, f).ThrowAsJavaScriptException();
  } catch (const Napi::Error& e) {
    // Already a JS error (e.g. from a failed napi call): let it through unchanged.
    e.ThrowAsJavaScriptException();
  } catch (const std::bad_alloc&) {
    Napi::Error err = Napi::Error::New(env, std::string(op) + ": host memory exhausted");
    err.Set("code", Napi::String::New(env, "ERR_SSCAN_OUT_OF_MEMORY"));
    err.ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    Napi::Error err = Napi::Error::New(env, std::string(op) + ": internal error: " + e.what());
    err.Set("code", Napi::String::New(env, "ERR_SSCAN_INTERNAL"));
    err.ThrowAsJavaScriptException();
  } catch (...) {
    Napi::Error err = Napi::Error::New(env, std::string(op) + ": unknown internal error");
    err.Set("code", Napi::String::New(env, "ERR_SSCAN_INTERNAL"));
    err.ThrowAsJavaScriptException();
  }
}

}  // namespace addon
}  // namespace sscan
