/** MambaBlock end to end: shapes, defaults, and gradcheck of every parameter and the input (float64). */
import { gradcheck } from '@sscan/autograd';
import { type Tensor, tensor } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import { MambaBlock, MambaLM } from '../index';
import { testSeed, uniformValues } from './helpers';

describe('MambaBlock', () => {
  it('new MambaBlock({ dModel: 64 }) has the original defaults and maps (batch, seqlen, dModel) to itself', () => {
    const seed = testSeed('mamba defaults');
    const block = new MambaBlock({ dModel: 64, seed });
    expect([block.dState, block.dConv, block.dInner, block.dtRank]).toEqual([16, 4, 128, 4]);
    const shapes = Object.fromEntries(block.namedParameters().map(([n, p]) => [n, p.shape]));
    expect(shapes).toEqual({
      A_log: [128, 16],
      D: [128],
      'in_proj.weight': [256, 64],
      'conv1d.weight': [128, 1, 4],
      'conv1d.bias': [128],
      'x_proj.weight': [36, 128],
      'dt_proj.weight': [128, 4],
      'dt_proj.bias': [128],
      'out_proj.weight': [64, 128],
    });
    // softplus(dt_proj.bias) lies in [1e-3, 1e-1]; A_log = log(1..16) per channel; D = 1
    const bias = block.dt_proj.bias!.value.toArraySync();
    for (const b of bias) {
      const dt = Math.log1p(Math.exp(b));
      expect(dt).toBeGreaterThanOrEqual(1e-3 * (1 - 1e-5));
      expect(dt).toBeLessThanOrEqual(0.1 * (1 + 1e-5));
    }
    const aLog = block.A_log.value.toArraySync();
    expect(aLog[16 * 5 + 3]).toBeCloseTo(Math.log(4), 6);
    expect([...block.D.value.toArraySync()].every((d) => d === 1)).toBe(true);
    const x = tensor(uniformValues(seed, 2 * 7 * 64), [2, 7, 64]);
    const y = block.forward(x);
    expect(y.shape).toEqual([2, 7, 64]);
    expect([...y.toArraySync()].every(Number.isFinite)).toBe(true);
    expect(() => block.forward(tensor(new Float32Array(10), [2, 5]))).toThrow(
      /MambaBlock.forward: argument 'h' must have shape \(batch, seqlen, dModel=64\)/,
    );
  });

  it('gradcheck end to end: input and every parameter (float64, small)', () => {
    const seed = testSeed('mamba gradcheck');
    const block = new MambaBlock({ dModel: 4, dState: 3, dConv: 3, dtype: 'float64', seed });
    const named = block.namedParameters();
    const x = tensor(uniformValues(seed + 1, 2 * 5 * 4), [2, 5, 4], { dtype: 'float64', requiresGrad: true });
    const params = named.map(([, p]) => p.value);
    const f = (...ts: Tensor[]) => {
      // the block reads its parameters from the Parameter objects: point them at gradcheck's inputs
      named.forEach(([, p], i) => {
        p.value = ts[i + 1];
      });
      return block.forward(ts[0]);
    };
    const report = gradcheck(f, [x, ...params], { eps: 1e-6, atol: 1e-6, rtol: 1e-4 });
    expect(report.passed).toBe(true);
  });

  it('MambaLM gradcheck through embedding, norms, blocks and the tied head', () => {
    const seed = testSeed('mamba lm gradcheck');
    const lm = new MambaLM({ vocabSize: 5, dModel: 4, nLayer: 2, dState: 2, dtype: 'float64', seed });
    const ids = tensor([0, 3, 1, 4, 2, 2], [2, 3], { dtype: 'float64' });
    const named = lm.namedParameters();
    const f = (...ts: Tensor[]) => {
      named.forEach(([, p], i) => {
        p.value = ts[i];
      });
      return lm.forward(ids);
    };
    expect(
      gradcheck(
        f,
        named.map(([, p]) => p.value),
        { eps: 1e-6, atol: 1e-6, rtol: 1e-4 },
      ).passed,
    ).toBe(true);
  });
});
