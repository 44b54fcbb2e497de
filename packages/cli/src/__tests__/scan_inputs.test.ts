import { describe, expect, it } from 'vitest';
import {
  cloneInputs,
  disposeInputs,
  MAMBA_LAYER_FEATURES,
  randomInputs,
  type ScanInputs,
  widenInputs,
} from '../scan_inputs';
import { TINY_SHAPE } from '../shapes';

const values = (x: ScanInputs) =>
  Object.fromEntries(Object.entries(x).map(([k, t]) => [k, t ? Array.from(t.toArraySync()) : null]));

describe('scan inputs', () => {
  it('are the same for the same seed and differ for another', () => {
    const a = randomInputs(TINY_SHAPE, 'float32', 'cpu', MAMBA_LAYER_FEATURES, 7);
    const b = randomInputs(TINY_SHAPE, 'float32', 'cpu', MAMBA_LAYER_FEATURES, 7);
    const c = randomInputs(TINY_SHAPE, 'float32', 'cpu', MAMBA_LAYER_FEATURES, 8);
    expect(values(a)).toEqual(values(b));
    expect(values(a).u).not.toEqual(values(c).u);
    for (const x of [a, b, c]) disposeInputs(x);
  });

  it('look like a Mamba layer: A = -(1..N), softplus(deltaBias) in [0.001, 0.1]', () => {
    const x = randomInputs(TINY_SHAPE, 'bfloat16', 'cpu', MAMBA_LAYER_FEATURES, 1);
    expect(Array.from(x.A.toArraySync().slice(0, TINY_SHAPE.dstate))).toEqual([-1, -2, -3, -4]);
    for (const b of x.deltaBias!.toArraySync()) {
      const dt = Math.log1p(Math.exp(b));
      expect(dt).toBeGreaterThanOrEqual(0.001 * 0.999);
      expect(dt).toBeLessThanOrEqual(0.1 * 1.001);
    }
    expect(x.u.dtype).toBe('bfloat16');
    expect(x.B.shape).toEqual([1, 1, TINY_SHAPE.dstate, TINY_SHAPE.seqlen]);
    disposeInputs(x);
  });

  it('clone into separate memory with equal values; widen exactly to float64', () => {
    const x = randomInputs(TINY_SHAPE, 'float16', 'cpu', { ...MAMBA_LAYER_FEATURES, complex: true }, 3);
    const copy = cloneInputs(x);
    const wide = widenInputs(x);
    const expected = values(x);
    disposeInputs(x);
    expect(values(copy)).toEqual(expected);
    expect(values(wide)).toEqual(expected);
    expect(wide.u.dtype).toBe('float64');
    expect(wide.A.dtype).toBe('complex128');
    disposeInputs(copy);
    disposeInputs(wide);
  });
});
