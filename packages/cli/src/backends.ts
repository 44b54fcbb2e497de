/** Access to backends through core's public API. */
import { type Backend, type DeviceType, empty, parseDevice } from '@sscan/core';
import { badFlag } from './errors';

/**
 * The started Backend behind a device type. Core exports no lookup by name, but every
 * tensor carries its backend, so a one-element tensor reaches it; starting the backend is
 * a side effect we want here anyway.
 */
export function backendOf(device: string): Backend {
  const probe = empty([1], { device });
  try {
    return probe.backend;
  } finally {
    probe.dispose();
  }
}

/** Validate a --device value ('cpu', 'cuda', 'cuda:1', 'rocm:0') and return it canonical. */
export function parseDeviceFlag(
  flag: string,
  value: string,
): { type: DeviceType; index: number; name: string } {
  try {
    const d = parseDevice('sscan', flag, value);
    return { ...d, name: d.type === 'cpu' ? 'cpu' : `${d.type}:${d.index}` };
  } catch {
    throw badFlag(flag, 'a device: cpu, cuda, cuda:<index>, rocm or rocm:<index>', `'${value}'`);
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}
