import './register_backends';

export type { Backend, BackendMemoryStats, DeviceDescription } from './backend';
export { setCpuStorageCache } from './cpu/storage_cache';
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
export type { BinaryOp, BufferRef, Storage, UnaryOp } from './kernel_names';
export * as kernels from './kernel_names';
export { type NativeLoadAttempt, nativeLoadAttempts } from './loader';
export { type DeviceMemoryStats, emptyCache, keep, memoryStats, tidy } from './memory';
// ---- model ops (the nn issue) ----
export { type AdamWUpdateOptions, adamWUpdate } from './ops/adamw';
export { causalConv1d, causalConv1dBackward, MAX_CONV_WIDTH } from './ops/conv1d';
export { type CrossEntropyOptions, crossEntropy, crossEntropyBackward } from './ops/cross_entropy';
export { add, div, mul, sub } from './ops/elementwise';
export { embedding, embeddingBackward } from './ops/embedding';
export {
  broadcastTo,
  cast,
  concat,
  contiguous,
  permute,
  reshape,
  slice,
  sliceBackward,
  split,
  transpose,
} from './ops/layout';
export { linear, type MatMulOptions, matmul } from './ops/matmul';
export { broadcastShapes } from './ops/op_utils';
export { mean, sum } from './ops/reduce';
export { rmsNorm, rmsNormBackward } from './ops/rms_norm';
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
  validateSelectiveScanCall,
} from './ops/selective_scan';
export { type SelectiveScanStepOptions, selectiveScanStep } from './ops/selective_scan_step';
export { exp, log, neg, sigmoid, silu, softplus, unaryBackward } from './ops/unary';
export { BACKEND_PRIORITY } from './register_backends';
export {
  type BackendFactory,
  type BackendStatus,
  backendInfo,
  getBackend,
  listBackends,
  registerBackend,
  setBackend,
} from './registry';
export { empty, full, numelOf, Tensor, type TensorOptions, tensor, zeros } from './tensor';
