/**
 * The scan shapes sscan checks and benchmarks, in one place so `sscan bench`, `sscan check`
 * and the tests share them. A case is called the way a Mamba layer calls the scan:
 * variable B and C (one group), D, z, deltaBias and softplus.
 */
import type { DeviceType } from '@sscan/core';
import { badFlag } from './errors';

export interface ScanShape {
  readonly batch: number;
  readonly dim: number;
  readonly seqlen: number;
  readonly dstate: number;
}

/** The input dtypes of the scan (u, delta, z, variable B/C). float64 runs on the CPU only. */
export const SCAN_DTYPES = ['float32', 'float16', 'bfloat16', 'float64'] as const;
export type ScanDType = (typeof SCAN_DTYPES)[number];

export interface BenchCase {
  readonly shape: ScanShape;
  readonly dtype: ScanDType;
}

export function shape(batch: number, dim: number, seqlen: number, dstate: number): ScanShape {
  return { batch, dim, seqlen, dstate };
}

/**
 * Mamba-130m's layer (d_inner 1536, d_state 16) at a short sequence: big enough to stress
 * the kernels, small enough that the float64 CPU reference finishes in seconds.
 */
export const DEFAULT_CHECK_SHAPE = shape(2, 1536, 256, 16);

/** The CPU target: ≥ 1e8 state updates/s forward at this shape. */
export const CPU_BENCH_CASES: readonly BenchCase[] = [{ shape: shape(1, 1536, 512, 16), dtype: 'float32' }];

const GPU_SHAPES: readonly ScanShape[] = [
  shape(8, 1536, 2048, 16), // Mamba-130m training batch
  shape(4, 5120, 2048, 16), // Mamba-2.8b width
  shape(1, 2048, 16384, 16), // long context: the sequential part dominates
  shape(1, 1536, 128, 16), // small: launch overhead dominates
  shape(4, 1536, 2048, 64), // wide state
];

export const GPU_BENCH_CASES: readonly BenchCase[] = GPU_SHAPES.flatMap((s) =>
  (['float32', 'bfloat16'] as const).map((dtype) => ({ shape: s, dtype })),
);

export function defaultBenchCases(device: DeviceType): readonly BenchCase[] {
  return device === 'cpu' ? CPU_BENCH_CASES : GPU_BENCH_CASES;
}

/** A small case for tests: every feature on, runs in milliseconds on the CPU backend. */
export const TINY_SHAPE = shape(1, 8, 32, 4);

export function formatScanShape(s: ScanShape): string {
  return `(${s.batch}, ${s.dim}, ${s.seqlen}, ${s.dstate})`;
}

/** Parse `b,d,l,n` (batch, dim, seqlen, dstate) as given to --shape. */
export function parseShapeFlag(flag: string, value: string): ScanShape {
  const parts = value.split(',').map((p) => p.trim());
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN));
  if (parts.length !== 4 || nums.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw badFlag(
      flag,
      'four positive integers b,d,l,n (batch, dim, seqlen, dstate), e.g. 1,1536,512,16',
      `'${value}'`,
    );
  }
  return shape(nums[0], nums[1], nums[2], nums[3]);
}

/** Elements updated by one scan: every state of every channel at every step. */
export function stateUpdates(s: ScanShape): number {
  return s.batch * s.dim * s.seqlen * s.dstate;
}

/** The CPU backend's goal on CPU_BENCH_CASES, forward: state updates per second. */
export const CPU_FORWARD_TARGET = 1e8;
