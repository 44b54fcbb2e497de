import { memoryStats, tensor } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import { add, backward, gradFnOf, mul, noGrad, selectiveScan, sum } from '../index';
import { makeRandom, rand } from './helpers';

describe('tape', () => {
  const { uniform } = makeRandom('tape');

  it('accumulates gradients over every use of a tensor (y = x·x + x → dy/dx = 2x + 1)', () => {
    const x = rand(uniform, [3, 4]);
    const y = add(mul(x, x), x);
    const g = rand(uniform, [3, 4], -1, 1, { requiresGrad: false });
    backward(y, g);
    const xv = x.toArraySync();
    const gv = g.toArraySync();
    const grad = x.grad!.toArraySync();
    for (let i = 0; i < xv.length; i++) expect(grad[i]).toBeCloseTo(gv[i] * (2 * xv[i] + 1), 12);
  });

  it('adds into .grad across backward calls, like a parameter over micro-batches', () => {
    const x = rand(uniform, [5]);
    backward(sum(mul(x, 3)));
    backward(sum(mul(x, 2)));
    expect([...x.grad!.toArraySync()]).toEqual([5, 5, 5, 5, 5]);
  });

  it('broadcast operands get the gradient summed over the broadcast axes', () => {
    const x = rand(uniform, [2, 3]);
    const b = rand(uniform, [3]);
    backward(sum(mul(x, b)));
    const xv = x.toArraySync();
    const gb = b.grad!.toArraySync();
    for (let j = 0; j < 3; j++) expect(gb[j]).toBeCloseTo(xv[j] + xv[3 + j], 12);
  });

  it('noGrad records nothing', () => {
    const x = rand(uniform, [4]);
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBe(null);
    expect(() => backward(y, y)).toThrow(/backward: argument 'output' must be a tensor that requires grad/);
  });

  it('frees the tape after backward: a second backward says so, saved tensors are released', () => {
    const { uniform: u } = makeRandom('tape-freed');
    const [batch, dim, L, N] = [1, 2, 5, 3];
    const x = rand(u, [batch, dim, L]);
    const dt = rand(u, [batch, dim, L], 0.1, 0.5, { requiresGrad: false });
    const A = rand(u, [dim, N], -1, -0.1);
    const B = rand(u, [dim, N], -1, 1, { requiresGrad: false });
    const C = rand(u, [dim, N], -1, 1, { requiresGrad: false });
    const out = selectiveScan(x, dt, A, B, C);
    const node = gradFnOf(out)!.node;
    const saved = [...node.saved];
    backward(sum(out));
    expect(node.freed).toBe(true);
    expect(node.inputs.length).toBe(0);
    for (const t of saved) expect(t.isDisposed).toBe(true);
    expect(() => backward(sum(out))).toThrow(/already freed/);
  });

  it('leaves no gradient temporaries behind', () => {
    const x = rand(uniform, [8, 8]);
    const w = rand(uniform, [8, 8]);
    const before = memoryStats().cpu?.tensors ?? 0;
    const y = sum(mul(add(x, w), x));
    backward(y);
    y.dispose();
    // what remains: the two .grad tensors (intermediate outputs are the caller's until GC)
    const after = memoryStats().cpu?.tensors ?? 0;
    expect(after - before).toBeLessThanOrEqual(2 + 3);
    expect(x.grad).not.toBe(null);
    expect(w.grad).not.toBe(null);
  });
});

describe('backward: bad input', () => {
  const { uniform } = makeRandom('tape-errors');
  it('rejects a tensor that does not require grad', () => {
    const t = tensor([1, 2], [2], { dtype: 'float64' });
    expect(() => backward(t, t)).toThrow(TypeError);
    expect(() => backward(t, t)).toThrow(/got Tensor\(\[2\], float64, cpu\) with requiresGrad false/);
  });
  it('rejects a gradOutput of the wrong shape, dtype, or a missing one for a non-scalar', () => {
    const x = rand(uniform, [2, 3]);
    const y = mul(x, 2);
    expect(() => backward(y, rand(uniform, [3, 2], -1, 1, { requiresGrad: false }))).toThrow(
      /'gradOutput' must have shape \[2, 3\] like 'output', got \[3, 2\]/,
    );
    expect(() => backward(y, tensor(new Float32Array(6), [2, 3]))).toThrow(
      /'gradOutput' must have dtype float64/,
    );
    expect(() => backward(y)).toThrow(/'gradOutput' must be given for a non-scalar output/);
    expect(() => backward([y], [])).toThrow(/'gradOutputs' must be an array of 1/);
    expect(() => backward(42 as never)).toThrow(/'output' must be a Tensor/);
  });
});
