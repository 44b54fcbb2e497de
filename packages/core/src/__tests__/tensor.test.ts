/** Tensor: creation, shapes, reading back, astype, reshape views, dispose and `using`. */
import { describe, expect, it } from 'vitest';
import { empty, full, memoryStats, type Tensor, tensor, zeros } from '../index';

const cpu = { device: 'cpu' } as const;
const live = () => memoryStats().cpu ?? { tensors: 0, bytes: 0, cachedBytes: 0 };

/** Overwrite a tensor's storage in place (as a kernel would), to observe sharing. */
function writeRaw(t: Tensor, values: Float32Array): void {
  t.backend.write(t.ref().storage, t.offset * 4, new Uint8Array(values.buffer));
}

describe('tensor()', () => {
  it('has the shape, dtype, device and sizes it was made with', () => {
    const t = tensor([1.5, -2, 3.25, 4, 5, -6.5], [2, 3], cpu);
    expect(t.shape).toEqual([2, 3]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(t.rank).toBe(2);
    expect(t.numel).toBe(6);
    expect(t.dtype).toBe('float32');
    expect(t.byteLength).toBe(24);
    expect(t.deviceName).toBe('cpu');
    expect(t.describe()).toBe('Tensor([2, 3], float32, cpu)');
    expect(String(t)).toBe('Tensor([2, 3], float32, cpu)');
    const s = tensor([7], [], { ...cpu, dtype: 'float64' });
    expect(s.rank).toBe(0);
    expect(s.numel).toBe(1);
    expect(Array.from(s.toArraySync())).toEqual([7]);
  });

  it('toArray and toArraySync return the stored values in the documented array types', async () => {
    const v = [0.1, -1 / 3, 1e-7, 12345.678];
    const f32 = tensor(v, [4], cpu);
    const f64 = tensor(v, [2, 2], { ...cpu, dtype: 'float64' });
    expect(f32.toArraySync()).toBeInstanceOf(Float32Array);
    expect(Array.from(f32.toArraySync())).toEqual(v.map(Math.fround));
    expect(Array.from(await f32.toArray())).toEqual(v.map(Math.fround));
    expect(f64.toArraySync()).toBeInstanceOf(Float64Array);
    expect(Array.from(await f64.toArray())).toEqual(v);
    const c64 = tensor([1.1, -2.2, 3.3, 4.4], [2], { ...cpu, dtype: 'complex64' });
    expect(c64.numel).toBe(2);
    expect(c64.byteLength).toBe(16);
    expect(Array.from(c64.toArraySync())).toEqual([1.1, -2.2, 3.3, 4.4].map(Math.fround));
    const c128 = tensor([1.1, -2.2], [1], { ...cpu, dtype: 'complex128' });
    expect(Array.from(c128.toArraySync())).toEqual([1.1, -2.2]);
    expect(Array.from(tensor([0.1, 3], [2], { ...cpu, dtype: 'bfloat16' }).toArraySync())).toEqual([
      0.10009765625, 3,
    ]);
  });

  it('bytes() are the raw stored bytes', async () => {
    const t = tensor([1, -2], [2], { ...cpu, dtype: 'float16' });
    expect(Array.from(await t.bytes())).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect(Array.from(t.bytesSync())).toEqual([0x00, 0x3c, 0x00, 0xc0]);
  });

  it('rejects bad data, shapes, dtypes and devices with errors naming what was wrong', () => {
    expect(() => tensor([1, 2, 3], [2, 2], cpu)).toThrow(RangeError);
    expect(() => tensor([1, 2, 3], [2, 2], cpu)).toThrow(
      "tensor: argument 'data' must be 4 values for shape [2, 2], got 3 values",
    );
    expect(() => tensor([1, 2], [2], { ...cpu, dtype: 'complex64' })).toThrow(
      '4 values for shape [2] (complex: interleaved re, im), got 2 values',
    );
    expect(() => tensor(5 as never, [1], cpu)).toThrow(TypeError);
    expect(() => tensor([1], [-1], cpu)).toThrow(TypeError);
    expect(() => tensor([1], [1.5], cpu)).toThrow(
      "tensor: argument 'shape' must be an array of non-negative integers, got array [1.5]",
    );
    expect(() => tensor([1], [1], { ...cpu, dtype: 'int8' as never })).toThrow(TypeError);
    expect(() => tensor([1], [1], { device: 'gpu' })).toThrow(RangeError);
    expect(() => tensor([1], [1], { device: 'gpu' })).toThrow(
      "tensor: argument 'device' must be a device string ('cpu', 'cuda', 'cuda:1', 'rocm:0'), got 'gpu'",
    );
    expect(() => tensor([1], [1], { device: 'cpu:1' })).toThrow(
      "must be 'cpu' or 'cpu:0' (there is one CPU device), got 'cpu:1'",
    );
    expect(() => tensor([1], [1], { device: 3 as never })).toThrow(TypeError);
    // No GPU here: asking for one is an error carrying the loader's reason, not a fallback.
    expect(() => tensor([1], [1], { device: 'cuda' })).toThrow(/^tensor: backend 'cuda' is not usable: .+/);
  });

  it('full, zeros and empty', () => {
    expect(Array.from(full([2, 2], 2.5, cpu).toArraySync())).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(Array.from(full([2], -1.5, { ...cpu, dtype: 'complex64' }).toArraySync())).toEqual([
      -1.5, 0, -1.5, 0,
    ]);
    expect(Array.from(zeros([3], { ...cpu, dtype: 'float16' }).toArraySync())).toEqual([0, 0, 0]);
    const e = empty([4, 5], { ...cpu, dtype: 'bfloat16' });
    expect(e.shape).toEqual([4, 5]);
    expect(e.byteLength).toBe(40);
    expect(() => empty([2], { ...cpu, dtype: 'half' as never })).toThrow(TypeError);
  });
});

describe('astype', () => {
  it('converts with rounding to nearest even and keeps shape and device', () => {
    const t = tensor([1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1], [3], { ...cpu, dtype: 'float64' });
    const h = t.astype('float16');
    expect(h.dtype).toBe('float16');
    expect(h.shape).toEqual([3]);
    expect(h.deviceName).toBe('cpu');
    // Ties: 1 + 2^-11 → 1 (even), 1 + 3·2^-11 → 1 + 2^-9 (even).
    expect(Array.from(h.toArraySync())).toEqual([1, 1 + 2 ** -9, 0.0999755859375]);
    expect(Array.from(h.astype('float32').toArraySync())).toEqual([1, 1 + 2 ** -9, 0.0999755859375]);
    const c = tensor([0.1, 0.2], [1], { ...cpu, dtype: 'complex128' }).astype('complex64');
    expect(Array.from(c.toArraySync())).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  });

  it('returns the tensor itself for the same dtype, and refuses a change of kind', () => {
    const t = tensor([1, 2], [2], cpu);
    expect(t.astype('float32')).toBe(t);
    expect(() => t.astype('complex64')).toThrow(RangeError);
    expect(() => t.astype('complex64')).toThrow(
      "Tensor.astype: argument 'dtype' must be a real dtype (float32 → complex64 changes kind), got 'complex64'",
    );
    expect(() => t.astype('int32' as never)).toThrow(TypeError);
  });
});

describe('reshape', () => {
  it('is a view sharing storage: writes through one are seen by the other', () => {
    const base = tensor([1, 2, 3, 4, 5, 6], [2, 3], cpu);
    const view = base.reshape([3, 2]);
    expect(view.shape).toEqual([3, 2]);
    expect(Array.from(view.toArraySync())).toEqual([1, 2, 3, 4, 5, 6]);
    writeRaw(base, Float32Array.of(9, 8, 7, 6, 5, 4));
    expect(Array.from(view.toArraySync())).toEqual([9, 8, 7, 6, 5, 4]);
    expect(view.ref().storage).toBe(base.ref().storage);
  });

  it('shares the allocation: no new bytes, and the storage lives until the last view is disposed', () => {
    const before = live();
    const base = tensor([1, 2, 3, 4], [4], cpu);
    const afterBase = live();
    expect(afterBase.tensors).toBe(before.tensors + 1);
    expect(afterBase.bytes).toBe(before.bytes + 16);
    const view = base.reshape([2, 2]);
    expect(live()).toEqual(afterBase);
    base.dispose();
    expect(live()).toEqual(afterBase); // the view still holds the storage
    expect(Array.from(view.toArraySync())).toEqual([1, 2, 3, 4]);
    view.dispose();
    expect(live()).toEqual(before);
  });

  it('refuses a shape with a different element count', () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3], cpu);
    expect(() => t.reshape([4, 2])).toThrow(RangeError);
    expect(() => t.reshape([4, 2])).toThrow(
      "Tensor.reshape: argument 'shape' must be 6 elements like [2, 3], got [4, 2] (8 elements)",
    );
    expect(() => t.reshape('3,2' as never)).toThrow(TypeError);
  });
});

describe('dispose', () => {
  it('after dispose, every use throws a clear error naming the tensor', async () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3], cpu);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    const message = 'tensor Tensor([2, 3], float32, cpu) was disposed and can no longer be used';
    expect(() => t.toArraySync()).toThrow(`Tensor.bytesSync: ${message}`);
    await expect(t.toArray()).rejects.toThrow(`Tensor.bytes: ${message}`);
    expect(() => t.reshape([6])).toThrow(`Tensor.reshape: ${message}`);
    expect(() => t.to('cpu')).toThrow(`Tensor.to: ${message}`);
    expect(() => t.astype('float16')).toThrow(message);
    expect(() => t.dispose()).not.toThrow(); // a second dispose is a no-op
  });

  it('frees the bytes once, even when disposed twice', () => {
    const before = live();
    const t = tensor([1, 2, 3], [3], cpu);
    t.dispose();
    t.dispose();
    expect(live()).toEqual(before);
  });

  it('`using` disposes at the end of the block', () => {
    const before = live();
    let seen: Tensor;
    {
      using t = tensor([1, 2], [2], cpu);
      seen = t;
      expect(live().tensors).toBe(before.tensors + 1);
      expect(t.isDisposed).toBe(false);
    }
    expect(seen.isDisposed).toBe(true);
    expect(live()).toEqual(before);
  });
});

describe('to', () => {
  it('is the tensor itself on its own device', () => {
    const t = tensor([1, 2], [2], cpu);
    expect(t.to('cpu')).toBe(t);
    expect(t.to('cpu:0')).toBe(t);
    expect(() => t.to('cuda')).toThrow(/^Tensor\.to: backend 'cuda' is not usable: .+/);
  });
});
