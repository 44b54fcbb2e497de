/**
 * Ownership of tensor memory. Storage is reference-counted (views such as reshape share
 * it); `dispose()` drops a reference, `tidy(fn)` disposes what fn created and did not
 * return, and a FinalizationRegistry releases storage that was never disposed.
 */
import type { Backend } from './backend';
import type { Device } from './device';
import { deviceString } from './device';
import type { Storage } from './kernel_names';
import { startedBackends } from './registry';

/** Shared by every tensor view of one allocation. */
export class TensorData {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly device: Device,
    readonly storage: Storage,
  ) {
    track(this, +1);
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (this.refs <= 0) return;
    this.refs--;
    if (this.refs === 0) {
      track(this, -1);
      this.backend.release(this.storage);
    }
  }
}

const live = new Map<string, { tensors: number; bytes: number }>();

function track(data: TensorData, sign: 1 | -1): void {
  const key = deviceString(data.device);
  const entry = live.get(key) ?? { tensors: 0, bytes: 0 };
  entry.tensors += sign;
  entry.bytes += sign * data.storage.byteLength;
  live.set(key, entry);
}

export interface DeviceMemoryStats {
  /** Live allocations (a view shares its base's allocation). */
  readonly tensors: number;
  readonly bytes: number;
  /** Bytes the backend keeps cached for reuse (not held by any tensor). */
  readonly cachedBytes: number;
}

/** Live tensors and bytes per device, plus what each backend's allocator keeps cached. */
export function memoryStats(): Record<string, DeviceMemoryStats> {
  const result: Record<string, DeviceMemoryStats> = {};
  for (const [key, v] of live) result[key] = { tensors: v.tensors, bytes: v.bytes, cachedBytes: 0 };
  for (const backend of startedBackends()) {
    for (const s of backend.memoryStats()) {
      const key = deviceString({ type: backend.type, index: s.device });
      const v = result[key] ?? { tensors: 0, bytes: 0, cachedBytes: 0 };
      result[key] = { ...v, cachedBytes: s.cachedBytes };
    }
  }
  return result;
}

/** Give cached device memory back to the driver. */
export function emptyCache(): void {
  for (const backend of startedBackends()) backend.emptyCache();
}

// ---- finalizer: the safety net for tensors that are never disposed ----

export const finalizer = new FinalizationRegistry<TensorData>((data) => data.release());

// ---- tidy scopes ----

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Disposable[][] = [];

/** Called by every new tensor: the innermost tidy scope owns it. */
export function registerInScope(t: Disposable): void {
  scopes[scopes.length - 1]?.push(t);
}

/** Move `t` out of the innermost scope, so it outlives the tidy call. */
export function keep<T extends Disposable>(t: T): T {
  for (const scope of scopes) {
    const i = scope.indexOf(t);
    if (i >= 0) scope.splice(i, 1);
  }
  return t;
}

function collectReturned(value: unknown, into: Set<unknown>): void {
  if (value === null || typeof value !== 'object') return;
  if (into.has(value)) return;
  into.add(value);
  if (Array.isArray(value)) for (const v of value) collectReturned(v, into);
  else if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collectReturned(v, into);
}

/**
 * Run fn; dispose every tensor it created except those it returns (directly, or inside
 * arrays and plain objects). Returned tensors move to the enclosing scope. Not for async
 * functions: the scope would close before their work is done.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function')
    throw new TypeError(`tidy: argument 'fn' must be a function, got ${typeof fn}`);
  const scope: Disposable[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    for (const t of scope) if (!t.isDisposed) t.dispose();
    throw err;
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise) {
    throw new TypeError("tidy: argument 'fn' must be synchronous; it returned a Promise");
  }
  const returned = new Set<unknown>();
  collectReturned(result, returned);
  for (const t of scope) {
    if (returned.has(t)) registerInScope(t);
    else if (!t.isDisposed) t.dispose();
  }
  return result;
}
