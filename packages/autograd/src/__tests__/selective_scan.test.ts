/**
 * Gradients of the differentiable scan against central differences (float64, small shapes), for
 * every option, through out and through lastState, for real and complex A.
 */
import { type Tensor, tensor } from '@sscan/core';
import { describe, expect, it } from 'vitest';
import { backward, gradcheck, selectiveScan } from '../index';
import { makeRandom, rand, type Uniform } from './helpers';

interface Case {
  name: string;
  complex?: boolean;
  variable?: boolean;
  groups?: number;
  D?: boolean;
  z?: boolean;
  deltaBias?: boolean;
  softplus?: boolean;
  initialState?: boolean;
  lastState?: boolean;
}

const CASES: Case[] = [
  { name: 'real, constant B/C, no options' },
  {
    name: 'real, variable B/C, every option',
    variable: true,
    D: true,
    z: true,
    deltaBias: true,
    softplus: true,
    initialState: true,
    lastState: true,
  },
  {
    name: 'real, variable B/C in 2 groups, softplus + bias',
    variable: true,
    groups: 2,
    deltaBias: true,
    softplus: true,
  },
  { name: 'real, constant B/C, D + z, lastState', D: true, z: true, lastState: true },
  {
    name: 'complex, constant B/C, every option',
    complex: true,
    D: true,
    z: true,
    deltaBias: true,
    softplus: true,
    initialState: true,
    lastState: true,
  },
  {
    name: 'complex, variable B/C, 2 groups, lastState',
    complex: true,
    variable: true,
    groups: 2,
    initialState: true,
    lastState: true,
  },
];

function inputsFor(u: Uniform, c: Case): { tensors: Tensor[]; names: string[] } {
  const [batch, dim, L, N] = [2, 4, 5, 3];
  const groups = c.groups ?? 1;
  const cdt = c.complex ? { dtype: 'complex128' as const } : {};
  const names = ['u', 'delta', 'A', 'B', 'C'];
  const tensors = [
    rand(u, [batch, dim, L]),
    // delta small and positive without softplus (a step size); any sign with softplus
    c.softplus ? rand(u, [batch, dim, L], -1, 1) : rand(u, [batch, dim, L], 0.05, 0.6),
    // Re A < 0: a decaying state, as in Mamba
    c.complex ? complexA(u, dim, N) : rand(u, [dim, N], -1.5, -0.2),
    c.variable ? rand(u, [batch, groups, N, L], -1, 1, cdt) : rand(u, [dim, N], -1, 1, cdt),
    c.variable ? rand(u, [batch, groups, N, L], -1, 1, cdt) : rand(u, [dim, N], -1, 1, cdt),
  ];
  const add = (name: string, t: Tensor) => {
    names.push(name);
    tensors.push(t);
  };
  if (c.D) add('D', rand(u, [dim]));
  if (c.z) add('z', rand(u, [batch, dim, L]));
  if (c.deltaBias) add('deltaBias', rand(u, [dim], -0.5, 0.5));
  if (c.initialState) add('initialState', rand(u, [batch, dim, N], -1, 1, cdt));
  return { tensors, names };
}

function complexA(u: Uniform, dim: number, N: number): Tensor {
  const v: number[] = [];
  for (let i = 0; i < dim * N; i++) v.push(u(-1.5, -0.2), u(-3, 3));
  return tensor(v, [dim, N], { dtype: 'complex128', requiresGrad: true });
}

function scanOf(c: Case, names: string[]) {
  return (...ts: Tensor[]) => {
    const get = (n: string) => ts[names.indexOf(n)] ?? null;
    const r = selectiveScan(ts[0], ts[1], ts[2], ts[3], ts[4], {
      D: get('D'),
      z: get('z'),
      deltaBias: get('deltaBias'),
      initialState: get('initialState'),
      deltaSoftplus: c.softplus ?? false,
      returnLastState: c.lastState ?? false,
    });
    return r;
  };
}

describe('selectiveScan gradients (gradcheck, float64)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { uniform } = makeRandom(`scan gradcheck: ${c.name}`);
      const { tensors, names } = inputsFor(uniform, c);
      const report = gradcheck(scanOf(c, names), tensors, { eps: 1e-6, atol: 1e-6, rtol: 1e-5 });
      expect(report.passed).toBe(true);
      // every input was checked: one derivative per stored value
      expect(report.checked).toBe(tensors.reduce((s, t) => s + t.toArraySync().length, 0));
    });
  }

  it('gradient through lastState alone (out unused) and through both at once', () => {
    const { uniform } = makeRandom('scan lastState only');
    const c: Case = { name: '', variable: true, initialState: true, lastState: true };
    const { tensors, names } = inputsFor(uniform, c);
    // only lastState feeds the loss: out gets zeros inside the gradient
    gradcheck((...ts) => (scanOf(c, names)(...ts) as { lastState: Tensor }).lastState, tensors, {
      atol: 1e-6,
      rtol: 1e-5,
    });
    // both outputs, with explicit gradients, via the array form of backward
    const r = scanOf(c, names)(...tensors) as { out: Tensor; lastState: Tensor };
    for (const t of tensors) t.grad = null;
    const gOut = rand(uniform, [...r.out.shape], -1, 1, { requiresGrad: false });
    const gLast = rand(uniform, [...r.lastState.shape], -1, 1, { requiresGrad: false });
    backward([r.out, r.lastState], [gOut, gLast]);
    for (const t of tensors) expect(t.grad?.shape).toEqual(t.shape);
  });

  it('returns out or { out, lastState } exactly like the core op', () => {
    const { uniform } = makeRandom('scan api');
    const { tensors } = inputsFor(uniform, { name: '' });
    const out = selectiveScan(tensors[0], tensors[1], tensors[2], tensors[3], tensors[4]);
    expect(out.shape).toEqual([2, 4, 5]);
    const both = selectiveScan(tensors[0], tensors[1], tensors[2], tensors[3], tensors[4], {
      returnLastState: true,
    });
    expect(both.lastState.shape).toEqual([2, 4, 3]);
    expect(() =>
      selectiveScan(tensors[0], tensors[1], tensors[2], tensors[3], tensors[4], { bogus: 1 } as never),
    ).toThrow(/unknown key 'bogus'/);
    expect(() => selectiveScan(tensors[0], tensors[1], tensors[2], tensors[0], tensors[4])).toThrow(
      /selectiveScan: argument 'B'/,
    );
  });
});
