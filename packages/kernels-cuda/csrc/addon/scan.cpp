// The selective-scan entry points: selectiveScanFwd / Bwd / Step, savedBytes. Each reads
// the meta and buffers arrays (layout: scan_layout.h), checks every size and pointer, and
// enqueues the kernel on the device's stream. Nothing waits here.
#include <cmath>
#include <string>

#include "args.h"
#include "bindings.h"
#include "errors.h"
#include "runtime.h"
#include "scan_layout.h"
#include "selective_scan.h"

#ifndef SSCAN_KERNEL_SOURCES
#define SSCAN_KERNEL_SOURCES ""
#endif

namespace sscan {
namespace addon {

namespace {

const char* const kMetaNames[] = {SSCAN_META_NAMES};
const char* const kFwdNames[] = {SSCAN_FWD_NAMES};
const char* const kBwdNames[] = {SSCAN_BWD_NAMES};
const char* const kStepNames[] = {SSCAN_STEP_NAMES};
static_assert(sizeof(kMetaNames) / sizeof(*kMetaNames) == kMetaLength, "meta names");
static_assert(sizeof(kFwdNames) / sizeof(*kFwdNames) == kFwdSlots, "fwd names");
static_assert(sizeof(kBwdNames) / sizeof(*kBwdNames) == kBwdSlots, "bwd names");
static_assert(sizeof(kStepNames) / sizeof(*kStepNames) == kStepSlots, "step names");

// Byte counts stay below 2^53 so JS numbers hold them exactly.
constexpr uint64_t kMaxBytes = uint64_t{1} << 53;
constexpr double kMaxExtent = 1099511627776.0;  // 2^40

struct Meta {
  ScanShape shape;
  DType dtype;
  bool is_complex, variable_B, variable_C, delta_softplus, deterministic;
  uint64_t elem;   // bytes per element of u/delta/z/out and real variable B/C
  uint64_t cplx;   // 2 if complex else 1 (floats per A/B/C/state entry)
};

std::string MetaArg(int i) { return std::string("meta[") + std::to_string(i) + "] (" +
                                   kMetaNames[i] + ")"; }

Meta ReadMeta(const Napi::CallbackInfo& info, size_t arg, const char* op, bool step) {
  Napi::TypedArray ta = ArgTypedArray(info, arg, op, "meta", napi_float64_array, kMetaLength);
  const double* m = reinterpret_cast<const double*>(
      static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  auto extent = [&](int i, double lo) -> int64_t {
    const double v = m[i];
    if (!(v == std::floor(v)) || v < lo || v > kMaxExtent) {
      char got[40];
      snprintf(got, sizeof got, "%.17g", v);
      ThrowArg(JsErrorKind::RangeError, op, MetaArg(i),
               "an integer in [" + std::to_string(static_cast<int64_t>(lo)) + ", 2^40]", got,
               __FILE__, __LINE__);
    }
    return static_cast<int64_t>(v);
  };
  auto flag = [&](int i) -> bool {
    if (m[i] != 0.0 && m[i] != 1.0) {
      char got[40];
      snprintf(got, sizeof got, "%.17g", m[i]);
      ThrowArg(JsErrorKind::RangeError, op, MetaArg(i), "0 or 1", got, __FILE__, __LINE__);
    }
    return m[i] == 1.0;
  };
  Meta r{};
  r.shape.batch = extent(kBatch, 1);
  r.shape.dim = extent(kDim, 1);
  r.shape.seqlen = step ? 1 : extent(kSeqlen, 1);
  r.shape.dstate = extent(kDstate, 1);
  r.shape.groups = extent(kGroups, 1);
  const int64_t dtype = extent(kDType, 0);
  if (dtype > 2) {
    ThrowArg(JsErrorKind::RangeError, op, MetaArg(kDType),
             "0 (float32), 1 (float16) or 2 (bfloat16)", std::to_string(dtype), __FILE__,
             __LINE__);
  }
  r.dtype = static_cast<DType>(dtype);
  r.is_complex = flag(kIsComplex);
  r.variable_B = flag(kVariableB);
  r.variable_C = flag(kVariableC);
  r.delta_softplus = flag(kDeltaSoftplus);
  r.deterministic = flag(kDeterministic);
  if (r.shape.dim % r.shape.groups != 0) {
    ThrowArg(JsErrorKind::RangeError, op, MetaArg(kGroups),
             "a divisor of dim (" + std::to_string(r.shape.dim) + ")",
             std::to_string(r.shape.groups), __FILE__, __LINE__);
  }
  if (!r.variable_B && !r.variable_C && r.shape.groups != 1) {
    ThrowArg(JsErrorKind::RangeError, op, MetaArg(kGroups), "1 when B and C are both constant",
             std::to_string(r.shape.groups), __FILE__, __LINE__);
  }
  r.elem = r.dtype == DType::Float32 ? 4 : 2;
  r.cplx = r.is_complex ? 2 : 1;
  return r;
}

// a * b * ..., refusing anything past kMaxBytes (extents are <= 2^40, so each step is
// checked before it could overflow 64 bits).
uint64_t Bytes(const char* op, std::initializer_list<uint64_t> factors) {
  uint64_t r = 1;
  for (uint64_t f : factors) {
    if (f != 0 && r > kMaxBytes / f) {
      ThrowFailure("ERR_SSCAN_INVALID_ARG", op, "tensor size exceeds 2^53 bytes", __FILE__,
                   __LINE__);
    }
    r *= f;
  }
  return r;
}

// Reads the [handle, byteOffset] pairs and resolves them with every check.
class Buffers {
 public:
  Buffers(const Napi::CallbackInfo& info, size_t arg, const char* op, int slots,
          const char* const* names, Runtime& rt, int device)
      : op_(op), names_(names), rt_(rt), device_(device) {
    Napi::TypedArray ta =
        ArgTypedArray(info, arg, op, "buffers", napi_bigint64_array, 2 * static_cast<size_t>(slots));
    data_ = reinterpret_cast<const int64_t*>(static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) +
                                             ta.ByteOffset());
  }
  bool Present(int slot) const { return data_[2 * slot] != 0; }
  // Device pointer for `bytes` bytes at slot; null for an absent optional slot.
  void* Get(int slot, uint64_t bytes, size_t align, bool required) const {
    const int64_t handle = data_[2 * slot];
    const int64_t offset = data_[2 * slot + 1];
    const std::string arg = std::string("buffers.") + names_[slot];
    if (handle == 0) {
      if (required) {
        ThrowArg(JsErrorKind::TypeError, op_, arg, "a memory handle (the slot is required)",
                 "0n (absent)", __FILE__, __LINE__);
      }
      return nullptr;
    }
    if (handle < 0 || offset < 0) {
      ThrowArg(JsErrorKind::RangeError, op_, arg, "a positive handle and a byte offset >= 0",
               "[" + std::to_string(handle) + "n, " + std::to_string(offset) + "n]", __FILE__,
               __LINE__);
    }
    return rt_.Resolve(static_cast<uint64_t>(handle), static_cast<uint64_t>(offset), bytes,
                       device_, align, op_, arg.c_str());
  }
  // For gradients of optional inputs: present exactly when the input is.
  void* GetIf(bool input_present, int slot, uint64_t bytes, size_t align) const {
    if (!input_present && Present(slot)) {
      ThrowArg(JsErrorKind::TypeError, op_, std::string("buffers.") + names_[slot],
               "absent (0n), since its input is absent", "a handle", __FILE__, __LINE__);
    }
    return input_present ? Get(slot, bytes, align, true) : nullptr;
  }

 private:
  const char* op_;
  const char* const* names_;
  Runtime& rt_;
  int device_;
  const int64_t* data_ = nullptr;
};

struct Sizes {
  uint64_t x, A, B, C, vec, state;  // bytes; vec = (dim) float32
  size_t x_align, A_align, B_align, C_align;
};

Sizes SizesOf(const Meta& m, const char* op) {
  const auto& s = m.shape;
  const uint64_t b = s.batch, d = s.dim, l = s.seqlen, n = s.dstate, g = s.groups;
  const uint64_t var_elem = m.is_complex ? 8 : m.elem;
  Sizes z{};
  z.x = Bytes(op, {b, d, l, m.elem});
  z.A = Bytes(op, {d, n, 4 * m.cplx});
  z.B = m.variable_B ? Bytes(op, {b, g, n, l, var_elem}) : z.A;
  z.C = m.variable_C ? Bytes(op, {b, g, n, l, var_elem}) : z.A;
  z.vec = Bytes(op, {d, 4});
  z.state = Bytes(op, {b, d, n, 4 * m.cplx});
  z.x_align = m.elem;
  z.A_align = 4 * m.cplx;
  z.B_align = m.variable_B ? var_elem : z.A_align;
  z.C_align = m.variable_C ? var_elem : z.A_align;
  return z;
}

void FillFlags(ScanFwdParams& p, const Meta& m) {
  p.shape = m.shape;
  p.dtype = m.dtype;
  p.is_complex = m.is_complex;
  p.variable_B = m.variable_B;
  p.variable_C = m.variable_C;
  p.delta_softplus = m.delta_softplus;
}

// Reads the forward inputs shared by fwd and bwd (slots 0..8 have the same order in both).
void FillInputs(ScanFwdParams& p, const Buffers& buf, const Sizes& z) {
  p.u = buf.Get(kFwdU, z.x, z.x_align, true);
  p.delta = buf.Get(kFwdDelta, z.x, z.x_align, true);
  p.A = static_cast<const float*>(buf.Get(kFwdA, z.A, z.A_align, true));
  p.B = buf.Get(kFwdB, z.B, z.B_align, true);
  p.C = buf.Get(kFwdC, z.C, z.C_align, true);
  p.D = static_cast<const float*>(buf.Get(kFwdD, z.vec, 4, false));
  p.z = buf.Get(kFwdZ, z.x, z.x_align, false);
  p.delta_bias = static_cast<const float*>(buf.Get(kFwdDeltaBias, z.vec, 4, false));
  p.initial_state = static_cast<const float*>(buf.Get(kFwdInitialState, z.state, 4, false));
}
static_assert(int{kFwdInitialState} == int{kBwdInitialState} && int{kFwdU} == int{kBwdU} &&
                  int{kFwdD} == int{kBwdD},
              "fwd and bwd share the order of the forward inputs");

void CheckLaunch(cudaError_t err, const char* op, const char* fn) {
  if (err == cudaSuccess) return;
  // A launch the kernels refused (it cannot fit this GPU, or the build's warp width is not
  // the device's): their own message names the kernel and the needed and available resources.
  const std::string detail = selective_scan_error_detail();
  if (!detail.empty()) {
    (void)cudaGetLastError();
    Failure f;
    f.code = "ERR_SSCAN_CUDA";
    f.op = op;
    f.cuda_error = cudaGetErrorName(err);
    f.file = __FILE__;
    f.line = __LINE__;
    f.message = std::string(op) + ": " + detail + " (" + f.cuda_error + ")";
    throw f;
  }
  if (err == cudaErrorNotSupported) {
    ThrowFailure("ERR_SSCAN_NOT_BUILT", op,
                 std::string(fn) + " returned cudaErrorNotSupported: no kernel for this "
                 "configuration, or the kernels were not linked into this build (kernel "
                 "sources built in: '" SSCAN_KERNEL_SOURCES "')",
                 __FILE__, __LINE__);
  }
  SSCAN_CUDA_CHECK(op, fn, err);
}

// selectiveScanFwd(device, meta, buffers): void
Napi::Value Fwd(const Napi::CallbackInfo& info) {
  const char* op = "selectiveScanFwd";
  Runtime& rt = Runtime::Of(info.Env());
  const int64_t device = ArgInt(info, 0, op, "device", 0, 1 << 20);
  const Meta m = ReadMeta(info, 1, op, false);
  // Argument arrays are checked before the first CUDA call.
  const Buffers buf(info, 2, op, kFwdSlots, kFwdNames, rt, static_cast<int>(device));
  DeviceState& d = rt.Device(device, op);
  const Sizes z = SizesOf(m, op);
  ScanFwdParams p{};
  FillFlags(p, m);
  FillInputs(p, buf, z);
  p.out = buf.Get(kFwdOut, z.x, z.x_align, true);
  p.last_state = static_cast<float*>(buf.Get(kFwdLastState, z.state, 4, false));
  const size_t saved = selective_scan_saved_bytes(p);
  p.saved = buf.Present(kFwdSaved) ? buf.Get(kFwdSaved, saved, 1, true) : nullptr;
  CheckLaunch(selective_scan_fwd(p, d.stream), op, "selective_scan_fwd");
  return info.Env().Undefined();
}

// selectiveScanBwd(device, meta, buffers): void. The workspace comes from the caching
// allocator and goes back to it right after the launch: stream order keeps it safe.
Napi::Value Bwd(const Napi::CallbackInfo& info) {
  const char* op = "selectiveScanBwd";
  Runtime& rt = Runtime::Of(info.Env());
  const int64_t device = ArgInt(info, 0, op, "device", 0, 1 << 20);
  const Meta m = ReadMeta(info, 1, op, false);
  // Argument arrays are checked before the first CUDA call.
  const Buffers buf(info, 2, op, kBwdSlots, kBwdNames, rt, static_cast<int>(device));
  DeviceState& d = rt.Device(device, op);
  const Sizes z = SizesOf(m, op);
  ScanBwdParams p{};
  FillFlags(p.fwd, m);
  FillInputs(p.fwd, buf, z);
  const size_t saved = selective_scan_saved_bytes(p.fwd);
  p.saved = buf.Present(kBwdSaved) ? buf.Get(kBwdSaved, saved, 1, true) : nullptr;
  p.grad_out = buf.Get(kBwdGradOut, z.x, z.x_align, true);
  p.grad_last_state = static_cast<const float*>(buf.Get(kBwdGradLastState, z.state, 4, false));
  p.du = buf.Get(kBwdDu, z.x, z.x_align, true);
  p.ddelta = buf.Get(kBwdDdelta, z.x, z.x_align, true);
  p.dA = static_cast<float*>(buf.Get(kBwdDA, z.A, z.A_align, true));
  p.dB = buf.Get(kBwdDB, z.B, z.B_align, true);
  p.dC = buf.Get(kBwdDC, z.C, z.C_align, true);
  p.dD = static_cast<float*>(buf.GetIf(p.fwd.D != nullptr, kBwdDD, z.vec, 4));
  p.dz = buf.GetIf(p.fwd.z != nullptr, kBwdDz, z.x, z.x_align);
  p.d_delta_bias =
      static_cast<float*>(buf.GetIf(p.fwd.delta_bias != nullptr, kBwdDDeltaBias, z.vec, 4));
  p.d_initial_state = static_cast<float*>(
      buf.GetIf(p.fwd.initial_state != nullptr, kBwdDInitialState, z.state, 4));
  p.deterministic = m.deterministic;

  const size_t ws_bytes = selective_scan_bwd_workspace_bytes(p);
  uint64_t ws = 0;
  void* ws_ptr = nullptr;
  if (ws_bytes > 0) {
    ws = rt.Allocate(d.device, ws_bytes, op);
    ws_ptr = rt.Lookup(ws, op, "workspace").ptr;
  }
  const cudaError_t err = selective_scan_bwd(p, ws_ptr, d.stream);
  if (ws != 0) rt.Free(ws, op);
  CheckLaunch(err, op, "selective_scan_bwd");
  return info.Env().Undefined();
}

// selectiveScanStep(device, meta, buffers): void — meta.seqlen is ignored.
Napi::Value Step(const Napi::CallbackInfo& info) {
  const char* op = "selectiveScanStep";
  Runtime& rt = Runtime::Of(info.Env());
  const int64_t device = ArgInt(info, 0, op, "device", 0, 1 << 20);
  const Meta m = ReadMeta(info, 1, op, true);
  // Argument arrays are checked before the first CUDA call.
  const Buffers buf(info, 2, op, kStepSlots, kStepNames, rt, static_cast<int>(device));
  DeviceState& d = rt.Device(device, op);
  const Sizes z = SizesOf(m, op);  // seqlen = 1: x is (batch, dim), variable B/C (b, g, n)
  ScanStepParams p{};
  p.shape = m.shape;
  p.dtype = m.dtype;
  p.is_complex = m.is_complex;
  p.variable_B = m.variable_B;
  p.variable_C = m.variable_C;
  p.delta_softplus = m.delta_softplus;
  p.x = buf.Get(kStepX, z.x, z.x_align, true);
  p.delta = buf.Get(kStepDelta, z.x, z.x_align, true);
  p.A = static_cast<const float*>(buf.Get(kStepA, z.A, z.A_align, true));
  p.B = buf.Get(kStepB, z.B, z.B_align, true);
  p.C = buf.Get(kStepC, z.C, z.C_align, true);
  p.D = static_cast<const float*>(buf.Get(kStepD, z.vec, 4, false));
  p.z = buf.Get(kStepZ, z.x, z.x_align, false);
  p.delta_bias = static_cast<const float*>(buf.Get(kStepDeltaBias, z.vec, 4, false));
  p.state = static_cast<float*>(buf.Get(kStepState, z.state, 4, true));
  p.out = buf.Get(kStepOut, z.x, z.x_align, true);
  CheckLaunch(selective_scan_step(p, d.stream), op, "selective_scan_step");
  return info.Env().Undefined();
}

// savedBytes(meta): number — bytes of the forward's optional `saved` buffer (0: none).
Napi::Value SavedBytes(const Napi::CallbackInfo& info) {
  const Meta m = ReadMeta(info, 0, "savedBytes", false);
  ScanFwdParams p{};
  FillFlags(p, m);
  return Napi::Number::New(info.Env(), static_cast<double>(selective_scan_saved_bytes(p)));
}

Napi::Array Names(Napi::Env env, const char* const* names, int n) {
  Napi::Array a = Napi::Array::New(env, static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) a.Set(static_cast<uint32_t>(i), Napi::String::New(env, names[i]));
  return a;
}

}  // namespace

void RegisterScan(Napi::Env env, Napi::Object exports) {
  exports.Set("selectiveScanFwd", Napi::Function::New<Export<Fwd>>(env, "selectiveScanFwd"));
  exports.Set("selectiveScanBwd", Napi::Function::New<Export<Bwd>>(env, "selectiveScanBwd"));
  exports.Set("selectiveScanStep", Napi::Function::New<Export<Step>>(env, "selectiveScanStep"));
  exports.Set("savedBytes", Napi::Function::New<Export<SavedBytes>>(env, "savedBytes"));
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("meta", Names(env, kMetaNames, kMetaLength));
  layout.Set("fwd", Names(env, kFwdNames, kFwdSlots));
  layout.Set("bwd", Names(env, kBwdNames, kBwdSlots));
  layout.Set("step", Names(env, kStepNames, kStepSlots));
  exports.Set("layout", layout);
}

}  // namespace addon
}  // namespace sscan
