// THE layout of the selective-scan kernel arguments, in one place. JS passes two typed
// arrays per call, so no JS object is walked on the hot path:
//
//   meta:    Float64Array(kMetaLength)   sizes and flags, by the Meta enum below
//   buffers: BigInt64Array(2 * slots)    per slot a pair [handle, byteOffset];
//                                        handle 0n = absent (only for optional slots)
//
// The slot order is the enums below. The addon exports the same names in order as
// `layout` ({ meta, fwd, bwd, step }: string[]), and the TS adapter builds its indices from
// those names, so the two sides cannot drift. Every buffer is checked: live handle, right
// device, offset aligned to its element size, and offset + bytes the kernel will touch
// within the allocation. Sizes (from DESIGN.md / selective_scan.h):
//   u, delta, z, out, du, ddelta, dz, gradOut   batch*dim*seqlen      dtype
//   A, dA; constant B, C, dB, dC               dim*dstate            f32 (c64 if complex)
//   variable B, C, dB, dC                      batch*groups*dstate*seqlen  dtype (c64 if complex)
//   D, deltaBias, dD, dDeltaBias               dim                   f32
//   initialState, lastState, gradLastState,
//   dInitialState                              batch*dim*dstate      f32 (c64 if complex)
//   saved                                      savedBytes(meta) bytes
//   step: x, delta, z, out                     batch*dim             dtype
//         variable B, C                        batch*groups*dstate   dtype (c64 if complex)
//         state                                batch*dim*dstate      f32 (c64 if complex)
#pragma once

namespace sscan {
namespace addon {

enum Meta {
  kBatch, kDim, kSeqlen, kDstate, kGroups,
  kDType,          // 0 float32, 1 float16, 2 bfloat16 (sscan::DType)
  kIsComplex,      // 0/1: A, B, C (and states) are complex64
  kVariableB,      // 0/1
  kVariableC,      // 0/1
  kDeltaSoftplus,  // 0/1
  kDeterministic,  // 0/1, backward only: bitwise reproducible reductions
  kMetaLength
};
#define SSCAN_META_NAMES                                                               \
  "batch", "dim", "seqlen", "dstate", "groups", "dtype", "isComplex", "variableB", \
      "variableC", "deltaSoftplus", "deterministic"

enum FwdSlot {
  kFwdU, kFwdDelta, kFwdA, kFwdB, kFwdC, kFwdD, kFwdZ, kFwdDeltaBias, kFwdInitialState,
  kFwdOut, kFwdLastState, kFwdSaved,
  kFwdSlots
};
#define SSCAN_FWD_NAMES                                                                   \
  "u", "delta", "A", "B", "C", "D", "z", "deltaBias", "initialState", "out", "lastState", \
      "saved"

enum BwdSlot {
  kBwdU, kBwdDelta, kBwdA, kBwdB, kBwdC, kBwdD, kBwdZ, kBwdDeltaBias, kBwdInitialState,
  kBwdSaved, kBwdGradOut, kBwdGradLastState,
  kBwdDu, kBwdDdelta, kBwdDA, kBwdDB, kBwdDC, kBwdDD, kBwdDz, kBwdDDeltaBias,
  kBwdDInitialState,
  kBwdSlots
};
#define SSCAN_BWD_NAMES                                                                   \
  "u", "delta", "A", "B", "C", "D", "z", "deltaBias", "initialState", "saved", "gradOut", \
      "gradLastState", "du", "ddelta", "dA", "dB", "dC", "dD", "dz", "dDeltaBias",        \
      "dInitialState"

enum StepSlot {
  kStepX, kStepDelta, kStepA, kStepB, kStepC, kStepD, kStepZ, kStepDeltaBias, kStepState,
  kStepOut,
  kStepSlots
};
#define SSCAN_STEP_NAMES \
  "x", "delta", "A", "B", "C", "D", "z", "deltaBias", "state", "out"

}  // namespace addon
}  // namespace sscan
