// The addon's entry point: sets up the per-environment Runtime and the exports. Loading the
// module touches no CUDA API (the runtime is linked statically and opens libcuda.so.1 only
// at the first call), so require() succeeds on a machine without a GPU or driver; probe()
// then says what is missing.
#include <napi.h>

#include "bindings.h"
#include "runtime.h"

namespace sscan {
namespace addon {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // One Runtime per environment (main thread, each worker): streams and handles are never
  // shared across JS threads. Node deletes it when the environment goes away.
  env.SetInstanceData<Runtime>(new Runtime());
  RegisterDevices(env, exports);
  RegisterMemory(env, exports);
  RegisterCopies(env, exports);
  RegisterScan(env, exports);
  RegisterModelOps(env, exports);
  return exports;
}

}  // namespace addon
}  // namespace sscan

// The macro pastes its second argument into an identifier, so it needs an unqualified name.
static Napi::Object InitSscanCuda(Napi::Env env, Napi::Object exports) {
  return sscan::addon::Init(env, exports);
}
NODE_API_MODULE(sscan_cuda, InitSscanCuda)
