/**
 * Model ops that have no GPU kernel yet run on a host backend: the storages they touch are
 * copied to the host, the host kernel runs, and the storages holding outputs are copied
 * back. Correct but slow (two PCIe trips per op); it keeps every Backend method working on
 * the GPU while the native kernels are written, one op at a time. `count` says how often it
 * was used, so a benchmark can tell.
 *
 * Whole storages are mirrored (not just the viewed range) and each storage once, so views
 * that share an allocation, and outputs that alias inputs, see exactly what they would on
 * the device.
 */
import type { Backend } from '../backend';
import type { BufferRef, Storage } from '../kernel_names';
import type { NativeBackend } from './NativeBackend';
import { NativeStorage } from './NativeStorage';

function isNativeRef(value: unknown): value is BufferRef & { storage: NativeStorage } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'storage' in value &&
    (value as BufferRef).storage instanceof NativeStorage
  );
}

/** Keys of `A` whose values are (nullable) BufferRefs: the only ones that can be outputs. */
export type RefKeys<A> = { [K in keyof A]: A[K] extends BufferRef | null ? K : never }[keyof A];

export class HostFallback {
  count = 0;
  constructor(
    readonly device: NativeBackend,
    readonly host: Backend,
  ) {}

  run<A extends object>(args: A, outputs: readonly RefKeys<A>[], kernel: (hostArgs: A) => void): void {
    this.count++;
    const mirrors = new Map<NativeStorage, Storage>();
    const hostArgs: Record<string, unknown> = {};
    try {
      for (const [key, value] of Object.entries(args)) {
        if (!isNativeRef(value)) {
          hostArgs[key] = value;
          continue;
        }
        let mirror = mirrors.get(value.storage);
        if (mirror === undefined) {
          mirror = this.host.allocate(0, value.storage.byteLength);
          mirrors.set(value.storage, mirror);
          this.host.write(mirror, 0, this.device.readSync(value.storage, 0, value.storage.byteLength));
        }
        hostArgs[key] = { ...value, storage: mirror };
      }
      kernel(hostArgs as A);
      const written = new Set<NativeStorage>();
      for (const key of outputs) {
        const ref = args[key];
        if (!isNativeRef(ref) || written.has(ref.storage)) continue;
        written.add(ref.storage);
        const mirror = mirrors.get(ref.storage) as Storage;
        this.device.write(ref.storage, 0, this.host.readSync(mirror, 0, mirror.byteLength));
      }
    } finally {
      for (const mirror of mirrors.values()) this.host.release(mirror);
    }
  }
}
