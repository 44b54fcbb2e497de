/** tidy, keep and memoryStats: nothing leaks, returned tensors survive, a throw cleans up. */
import { describe, expect, it } from 'vitest';
import { keep, memoryStats, selectiveScan, selectiveScanBackward, type Tensor, tensor, tidy } from '../index';

const cpu = { device: 'cpu' } as const;
const live = () => {
  const s = memoryStats().cpu ?? { tensors: 0, bytes: 0, cachedBytes: 0 };
  return { tensors: s.tensors, bytes: s.bytes };
};

let seed = 0;
function rand(shape: number[], dtype: 'float32' | 'complex64' = 'float32'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1) * (dtype === 'complex64' ? 2 : 1);
  return tensor(
    Array.from({ length: n }, () => Math.sin(++seed) * 0.8),
    shape,
    { ...cpu, dtype },
  );
}

describe('memoryStats', () => {
  it('counts live tensors and bytes per device', () => {
    const before = live();
    const a = rand([3, 5]);
    const b = rand([2], 'complex64');
    expect(live()).toEqual({ tensors: before.tensors + 2, bytes: before.bytes + 60 + 16 });
    a.dispose();
    expect(live()).toEqual({ tensors: before.tensors + 1, bytes: before.bytes + 16 });
    b.dispose();
    expect(live()).toEqual(before);
    expect(memoryStats().cpu.cachedBytes).toBe(0); // the CPU backend caches nothing
  });
});

describe('tidy', () => {
  it('a loop of scan calls (forward and backward) inside tidy leaves memoryStats where it started', () => {
    const u = rand([2, 4, 16]);
    const delta = tensor(
      Array.from({ length: 128 }, (_, i) => 0.01 + (0.05 * ((i * 7) % 11)) / 11),
      [2, 4, 16],
      cpu,
    );
    const A = tensor(
      Array.from({ length: 12 }, (_, i) => -1 - i),
      [4, 3],
      cpu,
    );
    const B = rand([2, 2, 3, 16]);
    const C = rand([4, 3]);
    const D = rand([4]);
    const before = live();
    let peak = 0;
    for (let i = 0; i < 5; i++) {
      tidy(() => {
        const { out, lastState } = selectiveScan(u, delta, A, B, C, { D, returnLastState: true });
        const g = selectiveScanBackward(out, u, delta, A, B, C, { D, gradLastState: lastState });
        expect(g.du.shape).toEqual([2, 4, 16]);
        peak = Math.max(peak, live().tensors);
      });
      expect(live()).toEqual(before);
    }
    // The loop really allocated: out, lastState and one gradient per input each time.
    expect(peak).toBeGreaterThanOrEqual(before.tensors + 2 + 6);
  });

  it('keeps what fn returns — directly, in arrays, in plain objects — and disposes the rest', () => {
    const before = live();
    let scratch: Tensor | null = null;
    const result = tidy(() => {
      scratch = rand([4]);
      const a = rand([2]);
      const b = rand([3]);
      const c = rand([5]);
      return { a, list: [b, { c }] };
    });
    expect((scratch as unknown as Tensor).isDisposed).toBe(true);
    expect(result.a.isDisposed).toBe(false);
    expect((result.list[0] as Tensor).isDisposed).toBe(false);
    expect((result.list[1] as { c: Tensor }).c.isDisposed).toBe(false);
    expect(Array.from(result.a.toArraySync())).toHaveLength(2);
    expect(live().tensors).toBe(before.tensors + 3);
    result.a.dispose();
    (result.list[0] as Tensor).dispose();
    (result.list[1] as { c: Tensor }).c.dispose();
    expect(live()).toEqual(before);
  });

  it('nested: what the inner tidy returns belongs to the outer one', () => {
    const before = live();
    let inner: Tensor | null = null;
    const kept = tidy(() => {
      inner = tidy(() => rand([3]));
      expect(inner.isDisposed).toBe(false);
      return rand([2]);
    });
    expect((inner as unknown as Tensor).isDisposed).toBe(true); // not returned by the outer fn
    expect(kept.isDisposed).toBe(false);
    kept.dispose();
    expect(live()).toEqual(before);
  });

  it('keep() lets a tensor outlive the scope', () => {
    const before = live();
    let kept: Tensor | null = null;
    tidy(() => {
      kept = keep(rand([2]));
      rand([2]);
    });
    expect((kept as unknown as Tensor).isDisposed).toBe(false);
    expect(live().tensors).toBe(before.tensors + 1);
    (kept as unknown as Tensor).dispose();
  });

  it('tensors created outside are untouched; views made inside are released', () => {
    const outside = rand([6]);
    const before = live();
    tidy(() => {
      const v = outside.reshape([2, 3]);
      expect(v.shape).toEqual([2, 3]);
    });
    expect(outside.isDisposed).toBe(false);
    expect(Array.from(outside.toArraySync())).toHaveLength(6);
    expect(live()).toEqual(before);
    outside.dispose();
  });

  it('disposes everything it created when fn throws, and rethrows the same error', () => {
    const before = live();
    const made: Tensor[] = [];
    const boom = new Error('boom');
    expect(() =>
      tidy(() => {
        made.push(rand([4]), rand([8]));
        throw boom;
      }),
    ).toThrow(boom);
    expect(made.every((t) => t.isDisposed)).toBe(true);
    expect(live()).toEqual(before);
  });

  it('a failing op call inside tidy (validation error) leaves nothing behind', () => {
    const u = rand([1, 2, 3]);
    const before = live();
    expect(() =>
      tidy(() => {
        rand([3]);
        selectiveScan(u, u, rand([2, 1]), rand([2, 1]), rand([2, 2]));
      }),
    ).toThrow(RangeError);
    expect(live()).toEqual(before);
  });

  it('refuses a non-function and an async function', async () => {
    expect(() => tidy(5 as never)).toThrow(TypeError);
    expect(() => tidy(5 as never)).toThrow("tidy: argument 'fn' must be a function, got number");
    expect(() => tidy(async () => 1)).toThrow(
      "tidy: argument 'fn' must be synchronous; it returned a Promise",
    );
  });
});
