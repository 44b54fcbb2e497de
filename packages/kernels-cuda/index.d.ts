/**
 * Types of @sscan/kernels-cuda: `probe()` and the native addon it hands out.
 *
 * Memory is referred to by handle (a positive BigInt from `malloc`, never reused): a freed or
 * unknown handle is a RangeError with code ERR_SSCAN_INVALID_HANDLE, never a crash. Every
 * error the addon throws carries `code`, `op`, `file`, `line` and, for CUDA failures,
 * `cudaError` (see {@link SscanCudaError}).
 */

export type ProbeStatus =
  | 'ok'
  | 'no-driver'
  | 'insufficient-driver'
  | 'no-device'
  | 'no-kernel-image'
  | 'cuda-error';

export interface CudaDeviceProperties {
  readonly index: number;
  readonly name: string;
  /** e.g. "9.0" */
  readonly computeCapability: string;
  readonly major: number;
  readonly minor: number;
  readonly totalMemory: number;
  readonly multiprocessors: number;
  readonly warpSize: number;
  readonly l2CacheBytes: number;
  readonly sharedMemPerBlockOptin: number;
  readonly pciBusId: string;
}

export interface CudaDeviceProbe extends CudaDeviceProperties {
  /** This binary ran a kernel on it. */
  readonly usable: boolean;
  readonly freeMemory?: number;
  readonly cudaError?: string;
  readonly message?: string;
}

/** What the native probe found. Versions are CUDA's integers: 13000 = 13.0. */
export interface ProbeReport {
  readonly status: ProbeStatus;
  readonly runtimeVersion: number;
  readonly driverVersion?: number;
  readonly deviceCount?: number;
  readonly devices?: readonly CudaDeviceProbe[];
  readonly cudaError?: string;
  readonly message?: string;
}

export interface CudaMemoryStats {
  /** Bytes asked for by live allocations. */
  readonly liveBytes: number;
  readonly liveBlocks: number;
  /** Live blocks (rounded up) plus the cache. */
  readonly reservedBytes: number;
  /** Freed blocks kept for reuse. */
  readonly cachedBytes: number;
  readonly cachedBlocks: number;
  readonly peakLiveBytes: number;
  readonly allocations: number;
  readonly cacheHits: number;
  readonly deviceMallocs: number;
  /** cudaMalloc ran out of memory, the cache was emptied and the call retried. */
  readonly oomRetries: number;
  /** Pinned staging buffers kept for reuse (host memory). */
  readonly pinnedCachedBytes: number;
  /** Pinned staging buffers still read by queued host-to-device copies. */
  readonly pinnedInFlightBytes: number;
}

/**
 * Names of the kernel-argument slots, in order (csrc/addon/scan_layout.h is the one
 * definition). `meta` indexes a Float64Array of sizes and 0/1 flags; `fwd`, `bwd`, `step`
 * index pairs [handle, byteOffset] of a BigInt64Array (handle 0n = absent).
 */
export interface ScanLayout {
  readonly meta: readonly string[];
  readonly fwd: readonly string[];
  readonly bwd: readonly string[];
  readonly step: readonly string[];
}

/**
 * The model ops' argument layout (csrc/addon/model_op_layout.h): `meta` holds `scalarSlots`
 * scalars (an op's `scalars`, in order), then per tensor slot dtype (index into `dtypes`),
 * rank, shape[maxRank], strides[maxRank] (elements); `buffers` one [handle, byteOffset] pair
 * per tensor slot (0n: absent, allowed for the `optional` ones).
 */
export interface ModelOpLayout {
  readonly metaLength: number;
  readonly scalarSlots: number;
  readonly tensorSlots: number;
  readonly maxRank: number;
  readonly dtypes: readonly string[];
  /** Values of the `op` scalar of Binary, Unary and UnaryGrad. */
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

export interface BuildInfo {
  /** CMake CUDA_ARCHITECTURES the binary was built with, e.g. "90". */
  readonly cudaArchitectures: string;
  /** CUDART_VERSION at build time. */
  readonly cudaVersion: number;
  /** The csrc/*.cu kernel sources built in, space separated; empty: stand-ins only. */
  readonly kernelSources: string;
  readonly napiVersion: number;
}

export type ByteCount = number | bigint;

/** The native addon. Device work is queued on one stream per device, in call order. */
export interface SscanCudaAddon {
  probe(): ProbeReport;
  deviceCount(): number;
  deviceProperties(device: number): CudaDeviceProperties & { driverVersion: number; runtimeVersion: number };
  readonly buildInfo: BuildInfo;

  malloc(device: number, bytes: ByteCount): bigint;
  free(handle: bigint): void;
  allocationInfo(handle: bigint): { device: number; bytes: number };
  memoryStats(device: number): CudaMemoryStats;
  /** Frees cached blocks (of one device, or all) and pinned staging buffers; returns device bytes freed. */
  emptyCache(device?: number): number;

  /** Host → device; `src` may be reused as soon as this returns, and it never waits for queued kernels. */
  copyFromHost(handle: bigint, byteOffset: ByteCount, src: ArrayBufferView): void;
  /** Device → host, blocking until `dst` holds the data (after all queued work). */
  copyToHost(handle: bigint, byteOffset: ByteCount, dst: ArrayBufferView): void;
  /** Device → host without blocking the event loop; resolves with `dst`, filled. */
  copyToHostAsync<T extends ArrayBufferView>(handle: bigint, byteOffset: ByteCount, dst: T): Promise<T>;
  copyDeviceToDevice(
    dst: bigint,
    dstOffset: ByteCount,
    src: bigint,
    srcOffset: ByteCount,
    bytes: ByteCount,
  ): void;
  memset(handle: bigint, byteOffset: ByteCount, value: number, bytes: ByteCount): void;
  synchronize(device: number): void;
  synchronizeAsync(device: number): Promise<void>;

  readonly layout: ScanLayout;
  selectiveScanFwd(device: number, meta: Float64Array, buffers: BigInt64Array): void;
  selectiveScanBwd(device: number, meta: Float64Array, buffers: BigInt64Array): void;
  selectiveScanStep(device: number, meta: Float64Array, buffers: BigInt64Array): void;
  /** Bytes of the forward's optional `saved` buffer for these sizes/flags (0: none). */
  savedBytes(meta: Float64Array): number;

  readonly modelOpLayout: ModelOpLayout;
  /**
   * Runs model op `name` (a kernel of @sscan/core's kernel_names.ts: Binary, MatMul, ...) on the
   * device's stream. Every size, dtype, layout and pointer range is checked first.
   */
  modelOp(device: number, name: string, meta: Float64Array, buffers: BigInt64Array): void;
  /** Which matmul runs: "cuBLAS (<library>)", or "sscan tiled kernel (<why no cuBLAS>)". */
  matMulBackend(): string;
}

/** Properties of every error the addon throws. */
export interface SscanCudaError extends Error {
  readonly code:
    | 'ERR_SSCAN_CUDA'
    | 'ERR_SSCAN_OUT_OF_MEMORY'
    | 'ERR_SSCAN_INVALID_HANDLE'
    | 'ERR_SSCAN_INVALID_ARG'
    | 'ERR_SSCAN_NOT_BUILT'
    | 'ERR_SSCAN_INTERNAL';
  readonly op: string;
  readonly cudaError?: string;
  readonly file: string;
  readonly line: number;
}

export type ProbeFailureStatus = Exclude<ProbeStatus, 'ok'> | 'not-built' | 'load-failed';

export type ProbeResult =
  | {
      readonly ok: true;
      readonly addon: SscanCudaAddon;
      /** Devices this binary ran a kernel on. */
      readonly devices: readonly CudaDeviceProbe[];
      /** The selective-scan kernels are built in (not only the stand-ins). */
      readonly kernels: boolean;
      readonly report: ProbeReport;
      readonly binaryPath: string;
    }
  | {
      readonly ok: false;
      readonly status: ProbeFailureStatus;
      /** Why the addon cannot be used, in one sentence. */
      readonly reason: string;
      /** What to run or change to fix it. */
      readonly hint: string;
      readonly report?: ProbeReport;
    };

/** Loads and probes the addon once (later calls return the same answer). Never throws. */
export function probe(): ProbeResult;
/** Where the binary is expected: build/Release/sscan_cuda.node. */
export const binaryPath: string;
