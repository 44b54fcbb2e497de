/** Access to backends through core's public API. */
import {
  type Backend,
  type BackendStatus,
  backendInfo,
  type DeviceType,
  empty,
  getBackend,
  parseDevice,
} from '@sscan/core';
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

export interface OpenDevice {
  readonly type: DeviceType;
  readonly index: number;
  /** Canonical: 'cpu', 'cuda:0'. */
  readonly name: string;
  readonly backend: Backend;
}

/**
 * The device a command runs on: the --device value, or the default backend's first device.
 * A malformed value or an index past the last device is a usage error (exit 2); a backend
 * that cannot start here is a failure (exit 1) carrying the reason core recorded.
 */
export function openDevice(flag: string, value: string | undefined): OpenDevice {
  const raw = value ?? getBackend();
  const parsed = parseDeviceFlag(flag, raw);
  const status = backendInfoOf(parsed.type);
  if (status?.status === 'unavailable') {
    throw new Error(
      `${flag} ${raw}: the ${parsed.type} backend cannot run here: ${status.reason ?? 'no reason recorded'}`,
    );
  }
  const first = backendOf(parsed.type);
  const count = first.deviceCount();
  if (parsed.index >= count) {
    throw badFlag(
      flag,
      `a device index below ${count} (${parsed.type} has ${count} device${count === 1 ? '' : 's'})`,
      `'${raw}'`,
    );
  }
  return { ...parsed, backend: first };
}

/** Start one backend (only that one) and report its status. */
function backendInfoOf(type: DeviceType): BackendStatus | undefined {
  try {
    backendOf(type);
    return { name: type, priority: 0, status: 'available' };
  } catch {
    // Starting failed: core kept the reason; backendInfo() reads it (and tries the rest).
    return backendInfo().find((b) => b.name === type);
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
