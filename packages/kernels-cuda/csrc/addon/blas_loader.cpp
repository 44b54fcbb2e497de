#include "blas_loader.h"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>
#include <mutex>

#include "errors.h"

namespace sscan {
namespace addon {

namespace {

// Our own declarations of the few entry points we call. cuBLAS and rocBLAS share the shape
// of these signatures: (handle, opA, opB, m, n, k, alpha, A, lda, strideA, B, ldb, strideB,
// beta, C, ldc, strideC, batch) with 32-bit ints, 64-bit strides and host-side alpha/beta,
// and an int status where 0 is success. Only the operation enum values differ.
typedef int (*CreateFn)(void** handle);
typedef int (*DestroyFn)(void* handle);
typedef int (*SetStreamFn)(void* handle, cudaStream_t stream);
template <class T>
using GemmFn = int (*)(void* handle, int op_a, int op_b, int m, int n, int k, const T* alpha,
                       const T* A, int lda, long long stride_a, const T* B, int ldb,
                       long long stride_b, const T* beta, T* C, int ldc, long long stride_c,
                       int batch);

struct BlasApi {
  bool loaded = false;
  std::string name;    // what MatMulBackendName() reports
  std::string family;  // "cuBLAS" / "rocBLAS", for error messages
  int op_n = 0, op_t = 0;
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  SetStreamFn set_stream = nullptr;
  GemmFn<float> sgemm = nullptr;
  GemmFn<double> dgemm = nullptr;
};

#if defined(__HIP_PLATFORM_AMD__)
constexpr const char* kFamily = "rocBLAS";
constexpr const char* kEnv = "SSCAN_ROCBLAS_LIBRARY";
constexpr const char* kCandidates[] = {"librocblas.so.0", "librocblas.so.4", "librocblas.so"};
constexpr const char* kCreate = "rocblas_create_handle";
constexpr const char* kDestroy = "rocblas_destroy_handle";
constexpr const char* kSetStream = "rocblas_set_stream";
constexpr const char* kSgemm = "rocblas_sgemm_strided_batched";
constexpr const char* kDgemm = "rocblas_dgemm_strided_batched";
constexpr int kOpN = 111, kOpT = 112;  // rocblas_operation_none / _transpose
#else
constexpr const char* kFamily = "cuBLAS";
constexpr const char* kEnv = "SSCAN_CUBLAS_LIBRARY";
constexpr const char* kCandidates[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};
constexpr const char* kCreate = "cublasCreate_v2";
constexpr const char* kDestroy = "cublasDestroy_v2";
constexpr const char* kSetStream = "cublasSetStream_v2";
constexpr const char* kSgemm = "cublasSgemmStridedBatched";
constexpr const char* kDgemm = "cublasDgemmStridedBatched";
constexpr int kOpN = 0, kOpT = 1;  // CUBLAS_OP_N / CUBLAS_OP_T
#endif

BlasApi LoadApi() {
  BlasApi api;
  api.family = kFamily;
  api.op_n = kOpN;
  api.op_t = kOpT;
  const char* env = std::getenv(kEnv);
  if (env != nullptr && std::string(env) == "none") {
    api.name = std::string("sscan tiled kernel (") + kEnv + "=none)";
    return api;
  }
  void* lib = nullptr;
  std::string tried, used;
  auto attempt = [&](const char* path) {
    lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib != nullptr) {
      used = path;
    } else {
      const char* e = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + (e != nullptr ? e : path);
    }
  };
  if (env != nullptr && *env != '\0') {
    attempt(env);
  } else {
    for (const char* c : kCandidates) {
      attempt(c);
      if (lib != nullptr) break;
    }
  }
  if (lib == nullptr) {
    api.name = std::string("sscan tiled kernel (no ") + kFamily + ": " + tried + ")";
    return api;
  }
  // The library stays loaded for the life of the process (never dlclose()d).
  api.create = reinterpret_cast<CreateFn>(dlsym(lib, kCreate));
  api.destroy = reinterpret_cast<DestroyFn>(dlsym(lib, kDestroy));
  api.set_stream = reinterpret_cast<SetStreamFn>(dlsym(lib, kSetStream));
  api.sgemm = reinterpret_cast<GemmFn<float>>(dlsym(lib, kSgemm));
  api.dgemm = reinterpret_cast<GemmFn<double>>(dlsym(lib, kDgemm));
  if (!api.create || !api.destroy || !api.set_stream || !api.sgemm || !api.dgemm) {
    api.name = std::string("sscan tiled kernel (") + used + " lacks one of " + kCreate + ", " +
               kDestroy + ", " + kSetStream + ", " + kSgemm + ", " + kDgemm + ")";
    return api;
  }
  api.loaded = true;
  api.name = std::string(kFamily) + " (" + used + ")";
  return api;
}

const BlasApi& Api() {
  static std::once_flag once;
  static BlasApi api;
  std::call_once(once, [] { api = LoadApi(); });
  return api;
}

bool Fits(int64_t v) { return v >= 0 && v <= INT_MAX; }

void CheckStatus(int status, const char* op, const std::string& call) {
  if (status != 0) {
    ThrowFailure("ERR_SSCAN_CUDA", op,
                 call + " failed with " + Api().family + " status " + std::to_string(status),
                 __FILE__, __LINE__);
  }
}

}  // namespace

std::string MatMulBackendName() { return Api().name; }

bool BlasGemm(DeviceState& d, bool is_double, const void* a, const void* b, void* out,
              int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b,
              bool b_shared, const char* op) {
  const BlasApi& api = Api();
  if (!api.loaded) return false;
  if (!Fits(batch) || !Fits(m) || !Fits(n) || !Fits(k)) return false;
  if (d.blas_handle == nullptr) {
    void* h = nullptr;
    CheckStatus(api.create(&h), op, std::string(api.family) + " handle creation");
    d.blas_handle = h;
  }
  CheckStatus(api.set_stream(d.blas_handle, d.stream), op, api.family + " set stream");
  // BLAS is column-major; a row-major (M, N) matrix is the column-major (N, M) one, so
  // out^T = op(b)^T op(a)^T: b goes first. Row-major b is (K, N) (ld N) or, transposed,
  // (N, K) (ld K); row-major a is (M, K) (ld K) or, transposed, (K, M) (ld M).
  const int op_b = trans_b ? api.op_t : api.op_n;
  const int op_a = trans_a ? api.op_t : api.op_n;
  const int ldb = int(trans_b ? k : n);
  const int lda = int(trans_a ? m : k);
  const long long stride_a = m * k, stride_b = b_shared ? 0 : k * n, stride_c = m * n;
  if (is_double) {
    const double one = 1, zero = 0;
    CheckStatus(api.dgemm(d.blas_handle, op_b, op_a, int(n), int(m), int(k), &one,
                          static_cast<const double*>(b), ldb, stride_b,
                          static_cast<const double*>(a), lda, stride_a, &zero,
                          static_cast<double*>(out), int(n), stride_c, int(batch)),
                op, kDgemm);
  } else {
    const float one = 1, zero = 0;
    CheckStatus(api.sgemm(d.blas_handle, op_b, op_a, int(n), int(m), int(k), &one,
                          static_cast<const float*>(b), ldb, stride_b,
                          static_cast<const float*>(a), lda, stride_a, &zero,
                          static_cast<float*>(out), int(n), stride_c, int(batch)),
                op, kSgemm);
  }
  return true;
}

void BlasDestroyHandle(DeviceState& d) {
  if (d.blas_handle != nullptr && Api().loaded) (void)Api().destroy(d.blas_handle);
  d.blas_handle = nullptr;
}

}  // namespace addon
}  // namespace sscan
