/**
 * Keeps the GPU half of the conformance suite honest on machines without a GPU (CI): the
 * suite runs for device 'cuda', served here by a stand-in backend — the CPU kernels behind a
 * caching allocator that, like the CUDA one, hands freed blocks back with their old
 * contents. That exercises everything the suite does only off the CPU: copying inputs with
 * `.to()`, comparing against the CPU backend, Mamba's tolerances, and poisoning the
 * allocator cache so an unwritten output is NaN (the poisoning test proves the blocks come
 * back). It says nothing about the CUDA kernels: `pnpm test:gpu` does that.
 */

import type { BackendMemoryStats } from '../backend';
import { CpuBackend } from '../cpu/CpuBackend';
import { CpuStorage } from '../cpu/storage';
import type { Storage } from '../kernel_names';
import { BACKEND_PRIORITY } from '../register_backends';
import { registerBackend, setBackend } from '../registry';
import { describeSelectiveScanConformance } from './conformance/selectiveScan.suite';

/** The CPU backend with a per-size free list (LIFO), reported as a cuda device. */
class CachingStandIn extends CpuBackend {
  override readonly type = 'cuda' as never;
  readonly #free = new Map<number, CpuStorage[]>();
  #live = 0;
  #cached = 0;

  override allocate(_device: number, byteLength: number): Storage {
    this.#live += byteLength;
    const hit = this.#free.get(byteLength)?.pop();
    if (hit) {
      this.#cached -= byteLength;
      return hit;
    }
    return new CpuStorage(byteLength);
  }

  override release(storage: Storage): void {
    this.#live -= storage.byteLength;
    this.#cached += storage.byteLength;
    const list = this.#free.get(storage.byteLength) ?? [];
    list.push(storage as CpuStorage);
    this.#free.set(storage.byteLength, list);
  }

  override memoryStats(): BackendMemoryStats[] {
    return [{ device: 0, liveBytes: this.#live, cachedBytes: this.#cached }];
  }

  override emptyCache(): void {
    this.#free.clear();
    this.#cached = 0;
  }
}

registerBackend('cuda', () => new CachingStandIn(), BACKEND_PRIORITY.cuda);
setBackend('cpu');

describeSelectiveScanConformance('cuda', {
  // The CPU kernels on both sides: keep it small, this checks the suite, not a kernel.
  sizes: (seqlen) => (seqlen > 512 ? { batch: 1, dim: 4 } : { batch: 2, dim: 4 }),
  maxBackwardSeqlen: 256,
});
