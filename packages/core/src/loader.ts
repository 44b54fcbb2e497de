/**
 * Loads the native kernel packages by name at run time (sharp-style: core never imports them
 * statically, and a bundler sees each literal name). Contract used by register_backends.ts:
 *   loadNativeBackend(type) returns a started Backend, or throws an Error whose message says
 *   why that backend cannot be used and ends with what to run to fix it.
 * Nothing here runs at import: the registry calls loadNativeBackend when a backend is first
 * asked for. Every attempt, failed or not, is kept for `nativeLoadAttempts()` (sscan info).
 */
import { createRequire } from 'node:module';
import type { Backend } from './backend';
import { CpuBackend } from './cpu/CpuBackend';
import { missingAddonMembers, type NativeAddon, type NativeProbeResult } from './native/addon';
import { NativeBackend } from './native/NativeBackend';

export type NativeBackendType = 'cuda' | 'rocm';

export interface NativeLoadAttempt {
  readonly type: NativeBackendType;
  readonly packageName: string;
  readonly ok: boolean;
  /** Why it cannot be used (absent when ok). */
  readonly reason?: string;
  /** What to run or change to fix it (absent when ok). */
  readonly hint?: string;
}

const requireHere = createRequire(import.meta.url);
const attempts: NativeLoadAttempt[] = [];

/** Every load attempt so far, in order, with its reason. */
export function nativeLoadAttempts(): readonly NativeLoadAttempt[] {
  return attempts;
}

/** Literal names, one case each, so readers and bundlers see exactly what may load. */
function requirePackage(type: NativeBackendType): unknown {
  switch (type) {
    case 'cuda':
      return requireHere('@sscan/kernels-cuda');
    case 'rocm':
      return requireHere('@sscan/kernels-rocm');
  }
}

function packageName(type: NativeBackendType): string {
  return type === 'cuda' ? '@sscan/kernels-cuda' : '@sscan/kernels-rocm';
}

class LoadFailure extends Error {
  constructor(
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`${reason}. To fix: ${hint}`);
  }
}

function isNotFound(err: unknown, name: string): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === 'MODULE_NOT_FOUND' &&
    String((err as { message?: unknown }).message).includes(`'${name}'`)
  );
}

function probePackage(type: NativeBackendType): { addon: NativeAddon; kernelSources: string } {
  const name = packageName(type);
  let pkg: unknown;
  try {
    pkg = requirePackage(type);
  } catch (err) {
    if (isNotFound(err, name)) {
      throw new LoadFailure(
        `${name} is not installed`,
        `\`npm install ${name}\` (it is an optional dependency: check that optional dependencies were not skipped)`,
      );
    }
    throw new LoadFailure(
      `${name} failed to load: ${err instanceof Error ? err.message : String(err)}`,
      `reinstall it: \`npm install ${name}\``,
    );
  }
  const probe = (pkg as { probe?: unknown } | null)?.probe;
  if (typeof probe !== 'function') {
    throw new LoadFailure(
      `${name} does not export probe(): it is from a different sscan version`,
      `install the version matching @sscan/core: \`npm install ${name}\``,
    );
  }
  const result = probe.call(pkg) as NativeProbeResult;
  if (!result.ok) throw new LoadFailure(`${name}: ${result.reason}`, result.hint);
  if (!result.kernels) {
    throw new LoadFailure(
      `${name} was built without the selective-scan kernels (no csrc/*.cu at build time)`,
      `rebuild it from a complete checkout: \`pnpm --filter ${name} build\``,
    );
  }
  const missing = missingAddonMembers(result.addon);
  if (missing.length > 0) {
    throw new LoadFailure(
      `${name}'s binary lacks ${missing.join(', ')}: it is older or newer than @sscan/core`,
      `rebuild it: \`pnpm --filter ${name} build\``,
    );
  }
  const addon = result.addon as NativeAddon;
  return { addon, kernelSources: addon.buildInfo.kernelSources };
}

function versionLine(type: NativeBackendType, addon: NativeAddon): string {
  try {
    const p = addon.deviceProperties(0);
    // CUDA writes 13.0 as 13000; HIP as major * 1e7 + minor * 1e5 + patch (5.2 is 50221153).
    const v = (n: number) =>
      type === 'rocm'
        ? `${Math.floor(n / 1e7)}.${Math.floor(n / 1e5) % 100}`
        : `${Math.floor(n / 1000)}.${Math.floor((n % 1000) / 10)}`;
    const archs = addon.buildInfo.cudaArchitectures ? `, built for ${addon.buildInfo.cudaArchitectures}` : '';
    return `${type} runtime ${v(p.runtimeVersion)}, driver ${v(p.driverVersion)}${archs}`;
  } catch {
    return type;
  }
}

/** A started native backend of `type`, or an Error saying why not and how to fix it. */
export function loadNativeBackend(type: NativeBackendType): Backend {
  const name = packageName(type);
  try {
    const { addon } = probePackage(type);
    const backend = new NativeBackend(addon, type, {
      hostFallback: new CpuBackend(),
      version: versionLine(type, addon),
    });
    attempts.push({ type, packageName: name, ok: true });
    return backend;
  } catch (err) {
    if (err instanceof LoadFailure) {
      attempts.push({ type, packageName: name, ok: false, reason: err.reason, hint: err.hint });
      throw err;
    }
    // NativeBackend's constructor (layout names) or anything unforeseen: still a reason.
    const reason = `${name} could not start: ${err instanceof Error ? err.message : String(err)}`;
    const hint = `rebuild it: \`pnpm --filter ${name} build\``;
    attempts.push({ type, packageName: name, ok: false, reason, hint });
    throw new LoadFailure(reason, hint);
  }
}
