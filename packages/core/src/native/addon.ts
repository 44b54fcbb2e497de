/**
 * What core needs from a native kernels package (@sscan/kernels-cuda, @sscan/kernels-rocm):
 * the contract checked at load time, so core never imports those packages, not even their
 * types. The packages' own index.d.ts describe the same functions in full.
 *
 * Memory is named by handle (a positive BigInt, never reused): a stale handle is a JS
 * RangeError in the addon, not a crash. Kernel arguments travel as two typed arrays whose
 * slot names the addon exports in `layout` (csrc/addon/scan_layout.h is the definition).
 */

export interface NativeScanLayout {
  readonly meta: readonly string[];
  readonly fwd: readonly string[];
  readonly bwd: readonly string[];
  readonly step: readonly string[];
}

/**
 * The model ops' wire format (csrc/addon/model_op_layout.h): meta holds `scalarSlots` scalars,
 * then per tensor slot dtype, rank, shape[maxRank], strides[maxRank]; buffers holds a
 * [handle, byteOffset] pair per tensor slot. `ops` names each op's slots in order.
 */
export interface NativeModelOpLayout {
  readonly metaLength: number;
  readonly scalarSlots: number;
  readonly tensorSlots: number;
  readonly maxRank: number;
  readonly dtypes: readonly string[];
  /** The values of an op's `op` scalar (Binary: add, sub, ...), by op name. */
  readonly opEnums: Readonly<Record<string, readonly string[]>>;
  readonly ops: Readonly<
    Record<
      string,
      {
        readonly tensors: readonly string[];
        readonly optional: readonly string[];
        readonly scalars: readonly string[];
      }
    >
  >;
}

export interface NativeDeviceProperties {
  readonly index: number;
  readonly name: string;
  readonly computeCapability: string;
  readonly totalMemory: number;
  readonly multiprocessors: number;
  readonly driverVersion: number;
  readonly runtimeVersion: number;
}

export interface NativeMemoryStats {
  readonly liveBytes: number;
  readonly cachedBytes: number;
  readonly reservedBytes: number;
  readonly peakLiveBytes: number;
}

export interface NativeAddon {
  deviceCount(): number;
  deviceProperties(device: number): NativeDeviceProperties;
  readonly buildInfo: { readonly cudaArchitectures?: string; readonly kernelSources: string };

  malloc(device: number, bytes: number): bigint;
  free(handle: bigint): void;
  memoryStats(device: number): NativeMemoryStats;
  emptyCache(device?: number): number;

  copyFromHost(handle: bigint, byteOffset: number, src: ArrayBufferView): void;
  copyToHost(handle: bigint, byteOffset: number, dst: ArrayBufferView): void;
  copyToHostAsync<T extends ArrayBufferView>(handle: bigint, byteOffset: number, dst: T): Promise<T>;
  copyDeviceToDevice(dst: bigint, dstOffset: number, src: bigint, srcOffset: number, bytes: number): void;
  memset(handle: bigint, byteOffset: number, value: number, bytes: number): void;
  synchronizeAsync(device: number): Promise<void>;

  readonly layout: NativeScanLayout;
  selectiveScanFwd(device: number, meta: Float64Array, buffers: BigInt64Array): void;
  selectiveScanBwd(device: number, meta: Float64Array, buffers: BigInt64Array): void;
  selectiveScanStep(device: number, meta: Float64Array, buffers: BigInt64Array): void;
  savedBytes(meta: Float64Array): number;

  readonly modelOpLayout: NativeModelOpLayout;
  /** Runs model op `name` (kernel_names.ts) on the device's stream. */
  modelOp(device: number, name: string, meta: Float64Array, buffers: BigInt64Array): void;
  /** Which matmul runs: e.g. "cuBLAS (libcublas.so.13)" or "sscan tiled kernel (...)". */
  matMulBackend(): string;
}

/** A kernels package's `probe()` answer (the subset core reads). */
export type NativeProbeResult =
  | {
      readonly ok: true;
      readonly addon: unknown;
      readonly kernels: boolean;
      readonly devices: readonly unknown[];
    }
  | { readonly ok: false; readonly reason: string; readonly hint: string };

const FUNCTIONS = [
  'deviceCount',
  'deviceProperties',
  'malloc',
  'free',
  'memoryStats',
  'emptyCache',
  'copyFromHost',
  'copyToHost',
  'copyToHostAsync',
  'copyDeviceToDevice',
  'memset',
  'synchronizeAsync',
  'selectiveScanFwd',
  'selectiveScanBwd',
  'selectiveScanStep',
  'savedBytes',
  'modelOp',
  'matMulBackend',
] as const;

/** Names of what `value` lacks to be a NativeAddon (empty: it is one). */
export function missingAddonMembers(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['(not an object)'];
  const record = value as Record<string, unknown>;
  const missing: string[] = FUNCTIONS.filter((name) => typeof record[name] !== 'function');
  const layout = record.layout as Record<string, unknown> | undefined;
  if (typeof layout !== 'object' || layout === null) missing.push('layout');
  else
    for (const k of ['meta', 'fwd', 'bwd', 'step'])
      if (!Array.isArray(layout[k])) missing.push(`layout.${k}`);
  const ops = record.modelOpLayout as Record<string, unknown> | undefined;
  if (typeof ops !== 'object' || ops === null || typeof ops.ops !== 'object') missing.push('modelOpLayout');
  if (typeof record.buildInfo !== 'object' || record.buildInfo === null) missing.push('buildInfo');
  return missing;
}
