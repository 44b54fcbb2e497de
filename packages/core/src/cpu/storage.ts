import { bytesPerElement, type StorageArray, storageView } from '../dtype';
import type { BufferRef, Storage } from '../kernel_names';

/**
 * CPU memory is a SharedArrayBuffer, so the worker threads of the CPU kernels read and
 * write tensors in place, with no copies.
 */
export class CpuStorage implements Storage {
  readonly device = 0;
  readonly buffer: SharedArrayBuffer;
  constructor(
    readonly byteLength: number,
    /** A buffer to reuse (from storage_cache.ts), of exactly `capacityFor(byteLength)` bytes. */
    reuse?: SharedArrayBuffer,
  ) {
    this.buffer = reuse ?? new SharedArrayBuffer(capacityFor(byteLength));
  }
}

/** Rounded up to 8 bytes so every typed-array view of a buffer is aligned and non-empty. */
export function capacityFor(byteLength: number): number {
  return Math.max(8, Math.ceil(byteLength / 8) * 8);
}

/**
 * The elements of a buffer as a typed array in storage representation: Uint16Array for
 * 16-bit floats, interleaved (re, im) for complex.
 */
export function viewOf(ref: BufferRef): StorageArray {
  let numel = 1;
  for (const s of ref.shape) numel *= s;
  const storage = ref.storage as CpuStorage;
  return storageView(ref.dtype, storage.buffer, ref.offset * bytesPerElement(ref.dtype), numel);
}
