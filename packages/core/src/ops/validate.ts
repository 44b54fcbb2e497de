/** Checks shared by the public ops: every check names the function and the argument. */

import { deviceString } from '../device';
import { type DType, isComplex } from '../dtype';
import { formatShape, invalidType, invalidValue } from '../errors';
import { Tensor } from '../tensor';

export function checkTensor(fn: string, arg: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw invalidType(fn, arg, 'a Tensor', value);
  // TypeError, like any use of a detached ArrayBuffer: the value is no longer a usable tensor.
  if (value.isDisposed) {
    throw new TypeError(
      `${fn}: argument '${arg}' must be a Tensor that is not disposed, got a disposed ${value.describe()}`,
    );
  }
  return value;
}

export function checkOptionalTensor(fn: string, arg: string, value: unknown): Tensor | null {
  return value === undefined || value === null ? null : checkTensor(fn, arg, value);
}

export function checkShapeIs(
  fn: string,
  arg: string,
  t: Tensor,
  expected: readonly number[],
  meaning: string,
): void {
  if (t.shape.length !== expected.length || t.shape.some((s, i) => s !== expected[i])) {
    throw invalidValue(fn, arg, `shape ${formatShape(expected)} ${meaning}`, formatShape(t.shape));
  }
}

export function checkDtypeIn(fn: string, arg: string, t: Tensor, allowed: readonly DType[], why = ''): void {
  if (!allowed.includes(t.dtype)) {
    throw invalidValue(fn, arg, `dtype ${allowed.join(' or ')}${why ? ` (${why})` : ''}`, t.dtype);
  }
}

export function checkSameDevice(
  fn: string,
  first: [string, Tensor],
  others: ReadonlyArray<[string, Tensor | null]>,
): void {
  const [name0, t0] = first;
  for (const [name, t] of others) {
    if (t && (t.device.type !== t0.device.type || t.device.index !== t0.device.index)) {
      throw invalidValue(fn, name, `on ${deviceString(t0.device)} like '${name0}'`, deviceString(t.device));
    }
  }
}

export function checkBoolean(fn: string, arg: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(fn, arg, 'a boolean', value);
  return value;
}

export function checkOptionsObject(
  fn: string,
  arg: string,
  value: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Tensor) {
    throw invalidType(fn, arg, 'an options object', value);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw invalidValue(fn, arg, `an object with keys among ${known.join(', ')}`, `unknown key '${key}'`);
    }
  }
  return value as Record<string, unknown>;
}

export { isComplex };
