/**
 * Types of @sscan/kernels-rocm: `probe()` and the native addon it hands out.
 *
 * The addon is the same one as @sscan/kernels-cuda's (same sources, built with hipcc), so its
 * interface is that package's `SscanCudaAddon`; CUDA names in it (`cudaError`,
 * `buildInfo.cudaArchitectures`) carry the HIP values (`hipErrorNoDevice`, "gfx908,gfx90a").
 */

export type ProbeFailureStatus =
  | 'no-driver'
  | 'no-permission'
  | 'no-device'
  | 'not-built'
  | 'no-runtime'
  | 'load-failed'
  | 'no-kernel-image'
  | 'hip-error';

/** An AMD GPU as the amdgpu driver's topology (sysfs) lists it. */
export interface KfdGpu {
  /** KFD topology node number (CPU nodes are left out). */
  readonly node: number;
  /** e.g. "gfx90a"; "unknown" where the driver does not report gfx_target_version. */
  readonly arch: string;
}

/** What the native probe found (the addon's ProbeReport; versions are HIP's integers). */
export interface ProbeReport {
  readonly status: string;
  readonly runtimeVersion: number;
  readonly driverVersion?: number;
  readonly deviceCount?: number;
  readonly devices?: readonly RocmDeviceProbe[];
  readonly cudaError?: string;
  readonly message?: string;
}

export interface RocmDeviceProbe {
  readonly index: number;
  readonly name: string;
  readonly major: number;
  readonly minor: number;
  readonly totalMemory: number;
  readonly multiprocessors: number;
  /** 64 on CDNA (gfx9xx), 32 on RDNA. */
  readonly warpSize: number;
  readonly usable: boolean;
  readonly freeMemory?: number;
  readonly cudaError?: string;
  readonly message?: string;
}

export interface BuildInfo {
  /** The HIP architectures the binary holds code for, comma separated, e.g. "gfx908,gfx90a,gfx1030". */
  readonly cudaArchitectures: string;
  /** HIP_VERSION at build time (major * 1e7 + minor * 1e5 + patch). */
  readonly cudaVersion: number;
  readonly kernelSources: string;
  readonly napiVersion: number;
}

/** The native addon: the same functions as @sscan/kernels-cuda's, on HIP devices. */
export interface SscanRocmAddon {
  probe(): ProbeReport;
  deviceCount(): number;
  readonly buildInfo: BuildInfo;
  // biome-ignore lint/suspicious/noExplicitAny: the full surface is @sscan/kernels-cuda's SscanCudaAddon
  readonly [name: string]: any;
}

export type ProbeResult =
  | {
      readonly ok: true;
      readonly addon: SscanRocmAddon;
      /** Devices this binary ran a kernel on. */
      readonly devices: readonly RocmDeviceProbe[];
      /** The selective-scan kernels are built in (not only the stand-ins). */
      readonly kernels: boolean;
      readonly report: ProbeReport;
      readonly binaryPath: string;
      readonly gpus: readonly KfdGpu[];
    }
  | {
      readonly ok: false;
      readonly status: ProbeFailureStatus;
      /** Why ROCm cannot be used, in one sentence. */
      readonly reason: string;
      /** What to run or change to fix it. */
      readonly hint: string;
      readonly report?: ProbeReport;
    };

export interface ProbeOptions {
  /** Where /dev and /sys are (tests point it at a fake tree). Default "/". */
  readonly sysRoot?: string;
  readonly env?: Record<string, string | undefined>;
  readonly fsys?: typeof import('node:fs');
  /** Loads the binary (default: require). */
  readonly load?: (path: string) => unknown;
  readonly binary?: string;
}

/** Loads and probes the addon once (later calls return the same answer). Never throws. */
export function probe(): ProbeResult;
/** The probe with its outside inputs replaced; not cached. For tests and diagnostics. */
export function probeWith(options?: ProbeOptions): ProbeResult;
/** The AMD GPUs in the amdgpu driver's sysfs topology, or null when there is none. */
export function kfdGpus(sysRoot?: string, env?: Record<string, string | undefined>): KfdGpu[] | null;
/** Every libamdhip64.so* in the usual library directories. */
export function findHipRuntimes(env?: Record<string, string | undefined>): string[];
/** KFD's gfx_target_version (e.g. 90010) as a target name (gfx90a). */
export function gfxName(targetVersion: number): string;
/** Where the binary is expected: build/Release/sscan_rocm.node. */
export const binaryPath: string;
