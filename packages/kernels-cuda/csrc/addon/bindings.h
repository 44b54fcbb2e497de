// Each binding file adds its functions to the module's exports (see module.cpp for the list
// and index.d.ts for their JS types).
#pragma once

#include <napi.h>

namespace sscan {
namespace addon {

void RegisterDevices(Napi::Env env, Napi::Object exports);  // devices.cpp
void RegisterMemory(Napi::Env env, Napi::Object exports);   // memory.cpp
void RegisterCopies(Napi::Env env, Napi::Object exports);   // copies.cpp
void RegisterScan(Napi::Env env, Napi::Object exports);     // scan.cpp
void RegisterModelOps(Napi::Env env, Napi::Object exports); // model_ops.cpp

}  // namespace addon
}  // namespace sscan
