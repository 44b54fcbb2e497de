/**
 * A deliberately wrong backend for tests: the CPU backend under the name 'cuda', with every
 * scan output nudged by `error` after the kernel ran. `sscan check` must catch it.
 */
import { type Backend, type BufferRef, type kernels, registerBackend } from '@sscan/core';

type SelectiveScanArgs = kernels.SelectiveScanArgs;
type SelectiveScanResult = kernels.SelectiveScanResult;

import { backendOf } from '../backends';

function perturb(cpu: Backend, ref: BufferRef, error: number): void {
  if (ref.dtype !== 'float32') throw new Error(`broken backend: only float32 outputs, got ${ref.dtype}`);
  const bytes = cpu.readSync(ref.storage, ref.offset * 4, ref.shape.reduce((a, b) => a * b, 1) * 4);
  const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  for (let i = 0; i < values.length; i++) values[i] += error * (1 + Math.abs(values[i]));
  cpu.write(ref.storage, ref.offset * 4, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

export function registerBrokenCuda(error: number, options: { backwardThrows?: boolean } = {}): void {
  const cpu = backendOf('cpu');
  // A Proxy rather than a copy of every method: the Backend contract keeps growing, and
  // the CPU backend's methods need `this` to be the real instance (private fields).
  const broken = new Proxy(cpu, {
    get(target, prop) {
      if (prop === 'type') return 'cuda';
      if (prop === 'describe')
        return () => ({ version: 'broken (test)', devices: [{ index: 0, name: 'broken test device' }] });
      if (prop === 'selectiveScan') {
        return (args: SelectiveScanArgs): SelectiveScanResult => {
          const result = target.selectiveScan(args);
          perturb(target, args.out, error);
          return result;
        };
      }
      if (prop === 'selectiveScanBackward' && options.backwardThrows) {
        return () => {
          throw new Error('selectiveScanBackward: not in this test backend');
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  // Priority below cpu: it is used only where a test asks for --device cuda.
  registerBackend('cuda', () => broken, 0);
}
