/**
 * Opt-in reuse of released CPU buffers. A training step allocates and frees the same few hundred
 * activation buffers every step; fresh SharedArrayBuffers cost a zero-fill each, and the freed
 * ones wait for a major GC (their memory is off the JS heap, so V8 feels little pressure: a
 * 2-layer model's process grew to ~5 GB RSS). With a cache, released buffers go to a free list
 * keyed by capacity and the next allocation of that capacity takes one back: memory stays near
 * the peak live set. Off by default (cache size 0), so plain use keeps "the CPU backend caches
 * nothing"; `sscan train` turns it on.
 */
import { invalidType } from '../errors';

let limit = 0;
let cached = 0;
const free = new Map<number, SharedArrayBuffer[]>();

/** Keep up to `maxBytes` of released CPU buffers for reuse (0 turns the cache off and empties it). */
export function setCpuStorageCache(maxBytes: number): void {
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw invalidType('setCpuStorageCache', 'maxBytes', 'a non-negative integer number of bytes', maxBytes);
  }
  limit = maxBytes;
  if (cached > limit) clearCpuStorageCache();
}

/** A released buffer of exactly `capacity` bytes, or null. Its contents are stale. */
export function takeCachedBuffer(capacity: number): SharedArrayBuffer | null {
  const list = free.get(capacity);
  const buffer = list?.pop();
  if (!buffer) return null;
  cached -= capacity;
  return buffer;
}

/** Keep `buffer` for reuse if the cache has room; otherwise it is left to the GC. */
export function offerBuffer(buffer: SharedArrayBuffer): void {
  if (cached + buffer.byteLength > limit) return;
  const list = free.get(buffer.byteLength);
  if (list) list.push(buffer);
  else free.set(buffer.byteLength, [buffer]);
  cached += buffer.byteLength;
}

export function cachedCpuBytes(): number {
  return cached;
}

export function clearCpuStorageCache(): void {
  free.clear();
  cached = 0;
}
