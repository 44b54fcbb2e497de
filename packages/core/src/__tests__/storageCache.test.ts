/** The opt-in CPU buffer cache: reuse, accounting, emptyCache, and results unchanged by stale contents. */
import { describe, expect, it } from 'vitest';
import { emptyCache, matmul, memoryStats, setCpuStorageCache, tensor, tidy } from '../index';

const seed = (Date.now() >>> 0) % 1000003;
console.log(`[storage cache] seed ${seed}`);
const cached = () => memoryStats().cpu?.cachedBytes ?? 0;
const values = (n: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(seed + 7 * i));

describe('setCpuStorageCache', () => {
  it('keeps released buffers up to the limit, reports them, and empties on emptyCache', () => {
    setCpuStorageCache(1 << 20);
    const before = cached();
    tensor(values(100), [100]).dispose(); // 400 bytes
    expect(cached()).toBe(before + 400);
    const again = tensor(values(100), [100]); // takes the same capacity back
    expect(cached()).toBe(before);
    again.dispose();
    emptyCache();
    expect(cached()).toBe(0);
    setCpuStorageCache(0);
    tensor(values(10), [10]).dispose();
    expect(cached()).toBe(0);
    expect(() => setCpuStorageCache(-1)).toThrow(
      /setCpuStorageCache: argument 'maxBytes' must be a non-negative integer number of bytes, got number -1/,
    );
  });

  it('reused (stale) buffers give the same results as fresh ones', () => {
    const a = tensor(values(12 * 9), [12, 9]);
    const b = tensor(values(9 * 5).reverse(), [9, 5]);
    const fresh = matmul(a, b).toArraySync();
    setCpuStorageCache(1 << 24);
    const again: Float32Array[] = [];
    for (let i = 0; i < 3; i++) again.push(tidy(() => matmul(a, b).toArraySync() as Float32Array));
    for (const r of again) expect([...r]).toEqual([...fresh]);
    setCpuStorageCache(0);
  });
});
