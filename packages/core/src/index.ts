import './register_backends';

export type { Backend, BackendMemoryStats, DeviceDescription } from './backend';
export { BACKEND_PRIORITY } from './register_backends';
export type { Device, DeviceType } from './device';
export { deviceString, parseDevice } from './device';
export {
  bytesPerElement,
  type DType,
  fromBFloat16Bits,
  fromFloat16Bits,
  isComplex,
  toBFloat16Bits,
  toFloat16Bits,
} from './dtype';
export { describeValue, invalidType, invalidValue } from './errors';
export * as kernels from './kernel_names';
export type { BufferRef, Storage } from './kernel_names';
export { type DeviceMemoryStats, emptyCache, keep, memoryStats, tidy } from './memory';
export {
  MAX_GPU_DSTATE,
  runBackward,
  type SelectiveScanBackwardOptions,
  type SelectiveScanForwardResult,
  type SelectiveScanGradients,
  type SelectiveScanOptions,
  type SelectiveScanTensors,
  selectiveScan,
  selectiveScanBackward,
  selectiveScanForward,
  type ValidatedScan,
  validateSelectiveScan,
} from './ops/selective_scan';
export { type SelectiveScanStepOptions, selectiveScanStep } from './ops/selective_scan_step';
export {
  type BackendFactory,
  type BackendStatus,
  backendInfo,
  getBackend,
  listBackends,
  registerBackend,
  setBackend,
} from './registry';
export { type NativeLoadAttempt, nativeLoadAttempts } from './loader';
export { empty, full, numelOf, Tensor, type TensorOptions, tensor, zeros } from './tensor';
// ---- model ops (the nn issue) ----
export { adamWUpdate, type AdamWUpdateOptions } from './ops/adamw';
export { causalConv1d, causalConv1dBackward, MAX_CONV_WIDTH } from './ops/conv1d';
export { crossEntropy, crossEntropyBackward, type CrossEntropyOptions } from './ops/cross_entropy';
export { add, div, mul, sub } from './ops/elementwise';
export { embedding, embeddingBackward } from './ops/embedding';
export { broadcastTo, cast, concat, contiguous, permute, reshape, slice, sliceBackward, split, transpose } from './ops/layout';
export { linear, type MatMulOptions, matmul } from './ops/matmul';
export { broadcastShapes } from './ops/op_utils';
export { mean, sum } from './ops/reduce';
export { rmsNorm, rmsNormBackward } from './ops/rms_norm';
export { exp, log, neg, sigmoid, silu, softplus, unaryBackward } from './ops/unary';
export type { BinaryOp, UnaryOp } from './kernel_names';
