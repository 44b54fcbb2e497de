/** The JSON record `sscan bench` writes: one file per run, self-describing. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import type { DeviceDescription } from '@sscan/core';
import type { ScanDType, ScanShape } from './shapes';
import { type PackageVersion, packageVersions } from './versions';

export const BENCH_SCHEMA = 'sscan-bench/1';
export const DEFAULT_BENCH_DIR = 'bench-results';

export interface PassTiming {
  readonly medianMs: number;
  readonly minMs: number;
  readonly meanMs: number;
  /** batch·dim·seqlen·dstate / median time. */
  readonly stateUpdatesPerSec: number;
  /** Bytes of inputs read plus outputs written, once each. */
  readonly bytes: number;
  readonly gbPerSec: number;
  readonly timesMs: readonly number[];
}

export interface BenchResult {
  readonly shape: ScanShape;
  readonly dtype: ScanDType;
  readonly features: string;
  readonly stateUpdates: number;
  readonly forward: PassTiming;
  readonly backward: PassTiming | null;
  /** Why the backward has no timing although it was asked for. */
  readonly backwardError?: string;
}

export interface BenchRecord {
  readonly schema: typeof BENCH_SCHEMA;
  readonly createdAt: string;
  readonly packages: readonly PackageVersion[];
  readonly host: { node: string; platform: string; arch: string; cpu: string; cpuCount: number };
  readonly backend: { name: string; device: string; version: string; description: DeviceDescription | null };
  readonly settings: { warmup: number; reps: number; sets: number; backward: boolean; timing: string };
  readonly results: BenchResult[];
  /** Cases that could not run at all, with the error. */
  readonly failures: { shape: ScanShape; dtype: ScanDType; error: string }[];
}

export function newRecord(backend: BenchRecord['backend'], settings: BenchRecord['settings']): BenchRecord {
  const cpu = cpus();
  return {
    schema: BENCH_SCHEMA,
    createdAt: new Date().toISOString(),
    packages: packageVersions(),
    host: {
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
      cpu: cpu[0]?.model ?? 'unknown',
      cpuCount: cpu.length,
    },
    backend,
    settings,
    results: [],
    failures: [],
  };
}

export function passTiming(timesMs: readonly number[], updates: number, bytes: number): PassTiming {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const sec = medianMs / 1000;
  return {
    medianMs,
    minMs: sorted[0],
    meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    stateUpdatesPerSec: updates / sec,
    bytes,
    gbPerSec: bytes / sec / 1e9,
    timesMs: [...timesMs],
  };
}

/** Default file: bench-results/<device>-<timestamp>.json under the working directory. */
export function defaultRecordPath(record: BenchRecord): string {
  const stamp = record.createdAt.replace(/[:.]/g, '-');
  return join(DEFAULT_BENCH_DIR, `${record.backend.device.replace(':', '')}-${stamp}.json`);
}

export function writeRecord(path: string, record: BenchRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
}
