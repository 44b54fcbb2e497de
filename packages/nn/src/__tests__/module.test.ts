/** Module bookkeeping: names, train/eval, dtype casting, to(device), loading across dtypes. */
import { tensor } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import { Linear, MambaLM, ModuleList, RMSNorm } from '../index';
import { testSeed, uniformValues } from './helpers';

describe('Module', () => {
  it('names parameters through submodules and lists, flags noDecay, and switches train/eval', () => {
    const list = new ModuleList([new Linear(2, 3), new RMSNorm(3)]);
    expect(list.namedParameters().map(([n, p]) => `${n}:${p.noDecay}`)).toEqual([
      '0.weight:false',
      '0.bias:true',
      '1.weight:true',
    ]);
    list.eval();
    expect(list.items.every((m) => !m.training)).toBe(true);
    list.train();
    expect(list.items[1].training).toBe(true);
  });

  it('astype casts every parameter (still requiring grad); loadStateDict casts values of another dtype', () => {
    const seed = testSeed('module astype');
    const lm = new MambaLM({ vocabSize: 5, dModel: 4, nLayer: 1, seed });
    lm.astype('float64');
    for (const p of lm.parameters()) {
      expect(p.value.dtype).toBe('float64');
      expect(p.value.requiresGrad).toBe(true);
    }
    const w = uniformValues(seed, 4);
    lm.loadStateDict({ 'backbone.norm_f.weight': tensor(w, [4]) }, { strict: false }); // float32 in
    const got = lm.stateDict()['backbone.norm_f.weight'].toArraySync();
    for (let i = 0; i < 4; i++) expect(got[i]).toBe(Math.fround(w[i]));
    lm.to('cpu');
    expect(lm.parameters()[0].value.deviceName).toBe('cpu');
    expect(() => lm.to('cpu:1')).toThrow(/'cpu' or 'cpu:0'/);
  });
});
