import { invalidType, invalidValue } from './errors';

/** A backend kind; device strings are `cpu`, `cuda`, `cuda:1`, `rocm:0`, ... */
export type DeviceType = 'cpu' | 'cuda' | 'rocm';
export const DEVICE_TYPES: readonly DeviceType[] = ['cpu', 'cuda', 'rocm'];

export interface Device {
  readonly type: DeviceType;
  readonly index: number;
}

/** Canonical string of a device: `cpu` (one CPU device) or `cuda:0`. */
export function deviceString(device: Device): string {
  return device.type === 'cpu' ? 'cpu' : `${device.type}:${device.index}`;
}

export function parseDevice(fn: string, arg: string, value: unknown): Device {
  if (typeof value !== 'string')
    throw invalidType(fn, arg, "a device string ('cpu', 'cuda', 'cuda:1', 'rocm:0')", value);
  const match = /^(cpu|cuda|rocm)(?::(\d+))?$/.exec(value);
  if (!match) {
    throw invalidValue(fn, arg, "a device string ('cpu', 'cuda', 'cuda:1', 'rocm:0')", `'${value}'`);
  }
  const type = match[1] as DeviceType;
  const index = match[2] === undefined ? 0 : Number(match[2]);
  if (type === 'cpu' && index !== 0)
    throw invalidValue(fn, arg, "'cpu' or 'cpu:0' (there is one CPU device)", `'${value}'`);
  return { type, index };
}

export function sameDevice(a: Device, b: Device): boolean {
  return a.type === b.type && a.index === b.index;
}
