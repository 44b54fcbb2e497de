/**
 * Loads the native kernel packages by name at run time (core never imports them
 * statically). Contract used by register_backends.ts:
 *   loadNativeBackend(type) returns a started Backend, or throws an Error whose message says
 *   why that backend cannot be used and ends with what to run to fix it.
 * The full loader (probe of driver, devices, architectures) replaces this first version.
 */
import { createRequire } from 'node:module';
import type { Backend } from './backend';

const requireHere = createRequire(import.meta.url);

export function loadNativeBackend(type: 'cuda' | 'rocm'): Backend {
  const name = type === 'cuda' ? '@sscan/kernels-cuda' : '@sscan/kernels-rocm';
  try {
    requireHere.resolve(name);
  } catch {
    throw new Error(`${name} is not installed (npm install ${name})`);
  }
  throw new Error(`${name} is installed but its native adapter is not available in this build`);
}
