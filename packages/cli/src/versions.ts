/** Versions of the sscan packages this command runs with, found the way Node would load them. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface PackageVersion {
  readonly name: string;
  /** null when the package cannot be resolved from here. */
  readonly version: string | null;
}

function versionAt(req: NodeJS.Require, name: string): { version: string; path: string } | null {
  try {
    const path = req.resolve(`${name}/package.json`);
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? { version: pkg.version, path } : null;
  } catch {
    return null;
  }
}

/** This package's version; src/ and dist/ both sit one level below package.json. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function packageVersions(): PackageVersion[] {
  const here = createRequire(import.meta.url);
  const core = versionAt(here, '@sscan/core');
  // The kernel packages are core's optional dependencies: resolve them as core does.
  const fromCore = core ? createRequire(core.path) : here;
  const found: PackageVersion[] = [{ name: '@sscan/cli', version: cliVersion() }];
  found.push({ name: '@sscan/core', version: core?.version ?? null });
  for (const name of ['@sscan/autograd', '@sscan/nn'])
    found.push({ name, version: versionAt(here, name)?.version ?? null });
  for (const name of ['@sscan/kernels-cuda', '@sscan/kernels-rocm']) {
    found.push({ name, version: versionAt(fromCore, name)?.version ?? null });
  }
  return found;
}
