/**
 * Timing of device work. Kernels may run asynchronously (GPU streams), so the clock starts
 * after the device has drained earlier work and stops only when the timed work is done:
 * `backend.synchronize(device)` on both sides. For the CPU backend synchronize is a no-op
 * and the kernels return when done.
 */
import type { Backend } from '@sscan/core';

export async function timed<T>(
  backend: Backend,
  device: number,
  fn: () => T,
): Promise<{ value: T; ms: number }> {
  await backend.synchronize(device);
  const t0 = performance.now();
  const value = fn();
  await backend.synchronize(device);
  return { value, ms: performance.now() - t0 };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

/** 1.23e8-style, compact for tables. */
export function formatRate(x: number): string {
  return x.toExponential(2);
}
