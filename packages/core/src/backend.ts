/**
 * The one contract every backend implements: the TypeScript CPU backend and the thin
 * adapter over each native addon. Every method is required, so a backend that misses a
 * kernel fails to compile rather than at run time.
 */
import type { DeviceType } from './device';
import type {
  AdamWUpdateArgs,
  BinaryArgs,
  CausalConv1dArgs,
  CausalConv1dBackwardArgs,
  CrossEntropyArgs,
  CrossEntropyBackwardArgs,
  EmbeddingArgs,
  EmbeddingBackwardArgs,
  MatMulArgs,
  RMSNormArgs,
  RMSNormBackwardArgs,
  SelectiveScanArgs,
  SelectiveScanBackwardArgs,
  SelectiveScanResult,
  SelectiveScanStepArgs,
  Storage,
  StridedCopyArgs,
  SumArgs,
  UnaryArgs,
  UnaryGradArgs,
} from './kernel_names';

export interface DeviceDescription {
  readonly index: number;
  readonly name: string;
  /** Total memory in bytes, where known. */
  readonly totalMemory?: number;
  /** Free-form facts worth printing (compute capability, driver version, threads, ...). */
  readonly details?: Readonly<Record<string, string | number>>;
}

export interface BackendMemoryStats {
  readonly device: number;
  /** Bytes held by live allocations. */
  readonly liveBytes: number;
  /** Bytes kept by the backend's caching allocator for reuse. */
  readonly cachedBytes: number;
}

export interface Backend {
  readonly type: DeviceType;
  describe(): { readonly version: string; readonly devices: readonly DeviceDescription[] };
  deviceCount(): number;

  // ---- memory ----
  allocate(device: number, byteLength: number): Storage;
  release(storage: Storage): void;
  /** Host → device, ordered after the kernels already queued. */
  write(dst: Storage, byteOffset: number, src: Uint8Array): void;
  /** Device → host; the only places that wait for queued work. */
  read(src: Storage, byteOffset: number, byteLength: number): Promise<Uint8Array>;
  readSync(src: Storage, byteOffset: number, byteLength: number): Uint8Array;
  /** Device → device within one device. */
  copy(dst: Storage, dstOffset: number, src: Storage, srcOffset: number, byteLength: number): void;
  memoryStats(): readonly BackendMemoryStats[];
  emptyCache(): void;
  /** Resolves when every queued kernel on `device` has finished. */
  synchronize(device: number): Promise<void>;

  // ---- kernels (kernel_names.ts) ----
  selectiveScan(args: SelectiveScanArgs): SelectiveScanResult;
  selectiveScanBackward(args: SelectiveScanBackwardArgs): void;
  selectiveScanStep(args: SelectiveScanStepArgs): void;

  // ---- model ops (kernel_names.ts, "Model ops"): outputs allocated by the caller ----
  binary(args: BinaryArgs): void;
  unary(args: UnaryArgs): void;
  unaryGrad(args: UnaryGradArgs): void;
  sum(args: SumArgs): void;
  stridedCopy(args: StridedCopyArgs): void;
  matMul(args: MatMulArgs): void;
  causalConv1d(args: CausalConv1dArgs): void;
  causalConv1dBackward(args: CausalConv1dBackwardArgs): void;
  rmsNorm(args: RMSNormArgs): void;
  rmsNormBackward(args: RMSNormBackwardArgs): void;
  embedding(args: EmbeddingArgs): void;
  embeddingBackward(args: EmbeddingBackwardArgs): void;
  crossEntropy(args: CrossEntropyArgs): void;
  crossEntropyBackward(args: CrossEntropyBackwardArgs): void;
  adamWUpdate(args: AdamWUpdateArgs): void;
}
