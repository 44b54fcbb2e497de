/**
 * The oracle checked against values worked out by hand, so that the conformance suite's
 * reference is itself trustworthy. No backend involved.
 */
import { describe, expect, it } from 'vitest';
import {
  cloneProblem,
  finiteDifferenceGradients,
  oracleSoftplus,
  type ScanProblem,
  scanOracle,
} from './selectiveScanOracle';

function problem(over: Partial<ScanProblem>): ScanProblem {
  return {
    batch: 1,
    dim: 1,
    seqlen: 2,
    dstate: 1,
    groups: 1,
    complex: false,
    deltaSoftplus: false,
    variableB: false,
    variableC: false,
    u: Float64Array.of(0.7, -1.3),
    delta: Float64Array.of(0.05, 0.2),
    A: Float64Array.of(-2),
    B: Float64Array.of(0.9),
    C: Float64Array.of(-1.1),
    D: null,
    z: null,
    deltaBias: null,
    initialState: null,
    ...over,
  };
}

const close = (a: number, b: number, tol = 1e-14) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

describe('scanOracle', () => {
  it('one real channel, two steps, every option on', () => {
    const p = problem({
      D: Float64Array.of(0.4),
      z: Float64Array.of(0.3, -0.8),
      deltaBias: Float64Array.of(-3),
      deltaSoftplus: true,
      initialState: Float64Array.of(0.25),
    });
    const dt1 = Math.log1p(Math.exp(0.05 - 3));
    const dt2 = Math.log1p(Math.exp(0.2 - 3));
    const h1 = Math.exp(dt1 * -2) * 0.25 + dt1 * 0.9 * 0.7;
    const h2 = Math.exp(dt2 * -2) * h1 + dt2 * 0.9 * -1.3;
    const gate = (z: number) => z / (1 + Math.exp(-z));
    const r = scanOracle(p);
    close(r.out[0], (-1.1 * h1 + 0.4 * 0.7) * gate(0.3));
    close(r.out[1], (-1.1 * h2 + 0.4 * -1.3) * gate(-0.8));
    close(r.lastState[0], h2);
  });

  it('complex: complex exp, complex B·u and 2·Re(C·h)', () => {
    // A = -1 + 2i, B = 0.5 - 0.25i, C = 0.3 + 0.7i; dt = delta (no softplus).
    const p = problem({
      complex: true,
      A: Float64Array.of(-1, 2),
      B: Float64Array.of(0.5, -0.25),
      C: Float64Array.of(0.3, 0.7),
    });
    const mul = (a: [number, number], b: [number, number]): [number, number] => [
      a[0] * b[0] - a[1] * b[1],
      a[0] * b[1] + a[1] * b[0],
    ];
    const step = (h: [number, number], dt: number, u: number): [number, number] => {
      const e: [number, number] = [Math.exp(-dt) * Math.cos(2 * dt), Math.exp(-dt) * Math.sin(2 * dt)];
      const eh = mul(e, h);
      return [eh[0] + dt * 0.5 * u, eh[1] + dt * -0.25 * u];
    };
    const h1 = step([0, 0], 0.05, 0.7);
    const h2 = step(h1, 0.2, -1.3);
    const r = scanOracle(p);
    close(r.out[0], 2 * mul([0.3, 0.7], h1)[0]);
    close(r.out[1], 2 * mul([0.3, 0.7], h2)[0]);
    close(r.lastState[0], h2[0]);
    close(r.lastState[1], h2[1]);
  });

  it('softplus returns dt itself above 20 and log1p(exp(dt)) up to 20', () => {
    expect(oracleSoftplus(20.5)).toBe(20.5);
    expect(oracleSoftplus(20)).toBe(Math.log1p(Math.exp(20)));
    expect(oracleSoftplus(-3)).toBe(Math.log1p(Math.exp(-3)));
    // A dt past the cut-off resets the state: exp(25·-2) ≈ 0, so h = dt·B·u.
    const p = problem({
      delta: Float64Array.of(25, 25),
      deltaSoftplus: true,
      initialState: Float64Array.of(100),
    });
    close(scanOracle(p).out[0], -1.1 * 25 * 0.9 * 0.7, 1e-12);
  });

  it('variable B/C: channel d reads group floor(d / (dim / groups)) at step t', () => {
    // dim 4, groups 2: channels 0,1 → group 0; channels 2,3 → group 1. One step from h_0 = 0,
    // so out = C·dt·B·u exactly.
    const B = Float64Array.of(2, 3); // (batch 1, groups 2, dstate 1, seqlen 1)
    const C = Float64Array.of(5, 7);
    const p = problem({
      dim: 4,
      seqlen: 1,
      groups: 2,
      variableB: true,
      variableC: true,
      u: Float64Array.of(1, 1, 1, 1),
      delta: Float64Array.of(0.5, 0.5, 0.5, 0.5),
      A: Float64Array.of(-1, -1, -1, -1),
      B,
      C,
    });
    expect(Array.from(scanOracle(p).out)).toEqual([0.5 * 2 * 5, 0.5 * 2 * 5, 0.5 * 3 * 7, 0.5 * 3 * 7]);
  });

  it('finite differences match derivatives worked out by hand', () => {
    // One step, real: out = (C·dt·B·u + D·u)·silu(z) with dt = delta.
    const p = problem({
      seqlen: 1,
      u: Float64Array.of(0.7),
      delta: Float64Array.of(0.05),
      D: Float64Array.of(0.4),
      z: Float64Array.of(0.3),
    });
    const g = finiteDifferenceGradients(cloneProblem(p), Float64Array.of(1), null);
    const silu = 0.3 / (1 + Math.exp(-0.3));
    close(g.u![0], (-1.1 * 0.05 * 0.9 + 0.4) * silu, 1e-8);
    close(g.delta![0], -1.1 * 0.9 * 0.7 * silu, 1e-8);
    close(g.B![0], -1.1 * 0.05 * 0.7 * silu, 1e-8);
    close(g.C![0], 0.05 * 0.9 * 0.7 * silu, 1e-8);
    close(g.D![0], 0.7 * silu, 1e-8);
    close(g.A![0], 0, 1e-8); // h_0 = 0: A does not matter at the first step
    expect(g.deltaBias).toBeNull();
  });

  it('complex finite differences follow dL/dRe + i·dL/dIm', () => {
    // L = <g, lastState> with g = (1, 0): dL/dRe(h0) = Re(exp(dt·A)), dL/dIm(h0) = -Im(exp(dt·A)).
    const p = problem({
      seqlen: 1,
      complex: true,
      A: Float64Array.of(-1, 2),
      B: Float64Array.of(0.5, -0.25),
      C: Float64Array.of(0.3, 0.7),
      initialState: Float64Array.of(0.2, 0.1),
      delta: Float64Array.of(0.05),
    });
    const g = finiteDifferenceGradients(cloneProblem(p), Float64Array.of(0), Float64Array.of(1, 0));
    close(g.initialState![0], Math.exp(-0.05) * Math.cos(0.1), 1e-8);
    close(g.initialState![1], -Math.exp(-0.05) * Math.sin(0.1), 1e-8);
  });
});
