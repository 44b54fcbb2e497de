/**
 * MambaBlock on CUDA against the CPU backend: forward, backward (the input and every
 * parameter) and one AdamW step (checked against its rule on the device's gradients), with every model op on its native kernel — the backend's
 * hostFallbackCount must stay 0. Runs only under `pnpm test:gpu` (vitest.gpu.config.ts).
 *
 * Tolerance |got - want| <= rtol·|want| + atol·max|want| per tensor, float32: rtol 2e-3,
 * atol 1e-3 — Mamba's own weight-gradient tolerance (1e-3) doubled for the chain of ops
 * around the scan (projections, conv, gate), with the absolute part scaled by the tensor's
 * largest entry since parameter gradients are sums over batch·seqlen.
 */
import * as ag from '@sscan/autograd';
import { backendInfo, type Tensor, tensor } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import { AdamW, MambaBlock } from '../index';
import { testSeed, uniformValues } from './helpers';

function close(label: string, got: Tensor | null, want: Tensor | null, rtol = 2e-3, atol = 1e-3): void {
  expect(got, `${label}: present`).not.toBe(null);
  expect(got?.deviceName.startsWith('cuda'), `${label}: on cuda`).toBe(true);
  const g = (got as Tensor).toArraySync();
  const w = (want as Tensor).toArraySync();
  expect(g.length, `${label}: size`).toBe(w.length);
  let scale = 0;
  for (const v of w) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = 0;
  for (let i = 0; i < w.length; i++) {
    const excess = Math.abs(g[i] - w[i]) - (rtol * Math.abs(w[i]) + atol * scale);
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
      at = i;
    }
  }
  expect(
    worst,
    `${label}: index ${at}: got ${g[at]}, want ${w[at]} (max |want| ${scale})`,
  ).toBeLessThanOrEqual(0);
}

const fallbacks = (t: Tensor) => (t.backend as { hostFallbackCount?: number }).hostFallbackCount;

describe('MambaBlock on cuda', () => {
  it('the cuda backend is usable', () => {
    const cuda = backendInfo().find((b) => b.name === 'cuda');
    expect(cuda?.reason ?? 'usable', 'cuda backend status').toBe('usable');
  });

  for (const [batch, seqlen, dModel] of [
    [2, 37, 16],
    [3, 300, 64],
  ]) {
    it(`forward, backward and an AdamW step match the CPU (batch ${batch}, seqlen ${seqlen}, dModel ${dModel}) with no host fallback`, () => {
      const seed = testSeed(`mamba cuda ${seqlen}`);
      const cpu = new MambaBlock({ dModel, seed });
      const gpu = new MambaBlock({ dModel, seed }).to('cuda');
      const shape = [batch, seqlen, dModel];
      const xv = uniformValues(seed + 1, batch * seqlen * dModel);
      const wv = uniformValues(seed + 2, batch * seqlen * dModel);
      const x = tensor(xv, shape, { requiresGrad: true });
      const xd = tensor(xv, shape, { device: 'cuda', requiresGrad: true });
      const before = fallbacks(xd);

      const y = cpu.forward(x);
      const yd = gpu.forward(xd);
      close('forward', yd, y, 6e-4, 2e-3);
      // a loss that weights every output differently, so no gradient is uniform
      ag.backward(ag.sum(ag.mul(y, tensor(wv, shape))));
      ag.backward(ag.sum(ag.mul(yd, tensor(wv, shape, { device: 'cuda' }))));
      close('dx', xd.grad, x.grad);
      const named = new Map(cpu.namedParameters());
      for (const [name, p] of gpu.namedParameters())
        close(`d ${name}`, p.grad, named.get(name)?.grad ?? null);

      // AdamW's first step on the device, checked against the update rule applied on the host
      // to the device's own gradients (at step 1, m̂ = g and v̂ = g²), so it is exact up to
      // float32 rounding, whatever separates the CPU's gradients from the GPU's
      const opts = { lr: 1e-2, eps: 1e-8, weightDecay: 0.1 };
      const params = gpu.namedParameters();
      const before0 = params.map(([, p]) => p.value.toArraySync());
      const grads = params.map(([, p]) => (p.grad as Tensor).toArraySync());
      new AdamW(gpu.parameters(), opts).step();
      params.forEach(([name, p], k) => {
        const got = p.value.toArraySync();
        const wd = p.noDecay ? 0 : opts.weightDecay;
        for (let i = 0; i < got.length; i++) {
          const g = grads[k][i];
          const want = before0[k][i] - opts.lr * (g / (Math.abs(g) + opts.eps) + wd * before0[k][i]);
          if (Math.abs(got[i] - want) > 1e-6 * (1 + Math.abs(want)))
            expect.fail(`${name} after AdamW at ${i}: got ${got[i]}, want ${want}`);
        }
      });
      expect(before, 'a NativeBackend').toBeTypeOf('number');
      expect(fallbacks(xd), 'model ops run on the host').toBe(before);
      expect(fallbacks(xd)).toBe(0);
    });
  }
});
