/**
 * The backend registry (after tfjs's engine): backends register a factory with a
 * priority; the default is the highest-priority backend whose factory succeeds, unless
 * SSCAN_BACKEND names one. Every failure is kept with its reason for `backendInfo()`;
 * asking for a backend that cannot run is an error carrying that reason, never a
 * silent fallback.
 */
import type { Backend } from './backend';
import { DEVICE_TYPES, type DeviceType } from './device';
import { invalidValue } from './errors';

export type BackendFactory = () => Backend;

interface Entry {
  readonly name: DeviceType;
  readonly factory: BackendFactory;
  readonly priority: number;
  instance?: Backend;
  failure?: string;
}

export interface BackendStatus {
  readonly name: DeviceType;
  readonly priority: number;
  /** 'active': the default backend; 'available': started; 'unavailable': its factory failed; 'untried'. */
  readonly status: 'active' | 'available' | 'unavailable' | 'untried';
  readonly reason?: string;
}

const entries = new Map<DeviceType, Entry>();
let active: DeviceType | null = null;

export function registerBackend(name: DeviceType, factory: BackendFactory, priority: number): void {
  if (!DEVICE_TYPES.includes(name)) {
    throw invalidValue('registerBackend', 'name', `one of ${DEVICE_TYPES.join(', ')}`, `'${String(name)}'`);
  }
  entries.set(name, { name, factory, priority });
  if (active === name) active = null;
}

/** Start (once) and return a backend, or throw why it cannot run. */
export function getBackendByName(name: DeviceType, fn = 'getBackend'): Backend {
  const entry = entries.get(name);
  if (!entry) {
    throw invalidValue(
      fn,
      'backend',
      `a registered backend (${[...entries.keys()].join(', ')})`,
      `'${name}'`,
    );
  }
  if (entry.instance) return entry.instance;
  if (entry.failure) throw new Error(`${fn}: backend '${name}' is not usable: ${entry.failure}`);
  try {
    entry.instance = entry.factory();
    return entry.instance;
  } catch (err) {
    entry.failure = err instanceof Error ? err.message : String(err);
    throw new Error(`${fn}: backend '${name}' is not usable: ${entry.failure}`);
  }
}

function byPriority(): Entry[] {
  return [...entries.values()].sort((a, b) => b.priority - a.priority);
}

function chooseDefault(): DeviceType {
  const forced = process.env.SSCAN_BACKEND;
  if (forced !== undefined && forced !== '') {
    if (!entries.has(forced as DeviceType)) {
      throw invalidValue(
        'SSCAN_BACKEND',
        'SSCAN_BACKEND',
        `one of ${[...entries.keys()].join(', ')}`,
        `'${forced}'`,
      );
    }
    getBackendByName(forced as DeviceType, 'SSCAN_BACKEND');
    return forced as DeviceType;
  }
  for (const entry of byPriority()) {
    try {
      getBackendByName(entry.name);
      return entry.name;
    } catch {
      // recorded in entry.failure; try the next one
    }
  }
  throw new Error(`no backend could start: ${describeFailures()}`);
}

function describeFailures(): string {
  return byPriority()
    .map((e) => `${e.name}: ${e.failure ?? 'not tried'}`)
    .join('; ');
}

/** Name of the default backend (where new tensors go when no device is given). */
export function getBackend(): DeviceType {
  if (active === null) active = chooseDefault();
  return active;
}

/** Make `name` the default backend. Throws, with the reason, if it cannot start. */
export function setBackend(name: DeviceType): void {
  getBackendByName(name, 'setBackend');
  active = name;
}

export function listBackends(): DeviceType[] {
  return byPriority().map((e) => e.name);
}

/** Which backends were tried and why each was or was not taken. Tries every one. */
export function backendInfo(): BackendStatus[] {
  let current: DeviceType | null = null;
  try {
    current = getBackend();
  } catch {
    current = null;
  }
  return byPriority().map((e) => {
    if (!e.instance && !e.failure) {
      try {
        getBackendByName(e.name);
      } catch {
        // kept in e.failure
      }
    }
    const status = e.name === current ? 'active' : e.instance ? 'available' : 'unavailable';
    return e.failure
      ? { name: e.name, priority: e.priority, status, reason: e.failure }
      : { name: e.name, priority: e.priority, status };
  });
}

/** Started backends, for memory statistics and cache control. */
export function startedBackends(): Backend[] {
  return [...entries.values()].flatMap((e) => (e.instance ? [e.instance] : []));
}

/** For tests: forget started instances, failures and the default. */
export function resetBackendsForTesting(): void {
  for (const e of entries.values()) {
    e.instance = undefined;
    e.failure = undefined;
  }
  active = null;
}
