/** gradcheck (float64, central differences) for every differentiable model op. */
import { type Tensor, tensor } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import * as ag from '../index';
import { gradcheck } from '../index';
import { makeRandom, rand } from './helpers';

const { uniform: u } = makeRandom('ops gradcheck');
const TOL = { atol: 1e-6, rtol: 1e-5 };
const check = (f: (...t: Tensor[]) => Tensor | Tensor[], inputs: Tensor[]) =>
  expect(gradcheck(f, inputs, TOL).passed).toBe(true);

describe('elementwise', () => {
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    it(`${op} with broadcasting (3,1,4) ∘ (2,1)… and with a number`, () => {
      const a = rand(u, [3, 1, 4]);
      // div: keep the divisor away from 0
      const b = op === 'div' ? rand(u, [2, 1], 0.5, 2) : rand(u, [2, 1]);
      check((x, y) => ag[op](x, y), [a, b]);
      check((x) => ag[op](x, 1.7), [rand(u, [5])]);
      check((x) => ag[op](-0.3, x), [op === 'div' ? rand(u, [5], 0.5, 2) : rand(u, [5])]);
    });
  }
  for (const op of ['neg', 'exp', 'sigmoid', 'silu', 'softplus'] as const) {
    it(op, () => check((x) => ag[op](x), [rand(u, [4, 3], -3, 3)]));
  }
  it('log', () => check((x) => ag.log(x), [rand(u, [7], 0.2, 3)]));
  it('softplus past its cut-off (x > 20 is the identity)', () =>
    check((x) => ag.softplus(x), [rand(u, [4], 21, 30)]));
});

describe('reductions', () => {
  it('sum over all, over axes, keepDims', () => {
    check((x) => ag.sum(x), [rand(u, [2, 3, 4])]);
    check((x) => ag.sum(x, [0, 2]), [rand(u, [2, 3, 4])]);
    check((x) => ag.sum(x, -1, true), [rand(u, [2, 3, 4])]);
  });
  it('mean', () => {
    check((x) => ag.mean(x), [rand(u, [3, 5])]);
    check((x) => ag.mean(x, 1), [rand(u, [3, 5])]);
  });
});

describe('matmul and linear', () => {
  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ]) {
    it(`matmul transposeA=${ta} transposeB=${tb}, plain and batched, shared weight`, () => {
      const [m, k, n] = [3, 4, 2];
      const a2 = rand(u, ta ? [k, m] : [m, k]);
      const b2 = rand(u, tb ? [n, k] : [k, n]);
      check((a, b) => ag.matmul(a, b, { transposeA: ta, transposeB: tb }), [a2, b2]);
      const a3 = rand(u, ta ? [2, k, m] : [2, m, k]);
      const b3 = rand(u, tb ? [2, n, k] : [2, k, n]);
      check((a, b) => ag.matmul(a, b, { transposeA: ta, transposeB: tb }), [a3, b3]);
      check(
        (a, b) => ag.matmul(a, b, { transposeA: ta, transposeB: tb }),
        [rand(u, ta ? [2, k, m] : [2, m, k]), rand(u, tb ? [n, k] : [k, n])],
      );
    });
  }
  it('linear with and without bias', () => {
    check((x, w, b) => ag.linear(x, w, b), [rand(u, [2, 3, 4]), rand(u, [5, 4]), rand(u, [5])]);
    check((x, w) => ag.linear(x, w), [rand(u, [3, 4]), rand(u, [2, 4])]);
  });
});

describe('layout', () => {
  it('reshape, permute, transpose, contiguous, broadcastTo', () => {
    check((x) => ag.reshape(x, [3, -1]), [rand(u, [2, 3, 2])]);
    check((x) => ag.permute(x, [2, 0, 1]), [rand(u, [2, 3, 4])]);
    check((x) => ag.transpose(x), [rand(u, [2, 3, 4])]);
    check((x) => ag.contiguous(x), [rand(u, [3, 2])]);
    check((x) => ag.broadcastTo(x, [2, 3, 4]), [rand(u, [3, 1])]);
  });
  it('slice, split, concat', () => {
    check((x) => ag.slice(x, [1, 0, 2], [2, 2, 2]), [rand(u, [3, 2, 5])]);
    check((x) => ag.split(x, [1, 3, 2], 1), [rand(u, [2, 6, 2])]);
    check((a, b, c) => ag.concat([a, b, c], 1), [rand(u, [2, 1, 3]), rand(u, [2, 4, 3]), rand(u, [2, 2, 3])]);
  });
  it('cast float64 → float32 → float64 carries the gradient back', () => {
    const x = rand(u, [4]);
    const y = ag.cast(ag.cast(x, 'float32'), 'float64');
    ag.backward(ag.sum(ag.mul(y, 2)));
    expect([...x.grad!.toArraySync()]).toEqual([2, 2, 2, 2]);
  });
});

describe('model ops', () => {
  it('causal depthwise conv1d with and without bias, widths 1..4 and 8', () => {
    for (const width of [1, 2, 4, 8]) {
      check((x, w, b) => ag.causalConv1d(x, w, b), [rand(u, [2, 3, 7]), rand(u, [3, width]), rand(u, [3])]);
    }
    check((x, w) => ag.causalConv1d(x, w), [rand(u, [1, 2, 3]), rand(u, [2, 4])]);
  });
  it('rmsNorm', () => check((x, w) => ag.rmsNorm(x, w, 1e-5), [rand(u, [2, 3, 6]), rand(u, [6])]));
  it('embedding: repeated ids accumulate into one row', () => {
    const ids = tensor([0, 3, 3, 1, 4, 3], [2, 3], { dtype: 'float64' });
    check((w) => ag.embedding(w, ids), [rand(u, [5, 4])]);
  });
  it('crossEntropy with ignored rows', () => {
    const targets = tensor([2, -100, 0, 4, -100], [5], { dtype: 'float64' });
    check((l) => ag.crossEntropy(l, targets), [rand(u, [5, 6], -3, 3)]);
    const t2 = tensor([1, 7, 1], [3], { dtype: 'float64' });
    check((l) => ag.crossEntropy(l, t2, { ignoreIndex: 7 }), [rand(u, [3, 4], -3, 3)]);
  });
});
