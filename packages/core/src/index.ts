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
export { empty, full, numelOf, Tensor, type TensorOptions, tensor, zeros } from './tensor';
