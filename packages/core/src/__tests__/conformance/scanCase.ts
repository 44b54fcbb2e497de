/**
 * Glue between the oracle's plain arrays and the public API: build the tensors of a problem
 * in a dtype on a device, read back what they hold (the rounded values every reference must
 * start from), run the op, name a case.
 */
import {
  type DType,
  type SelectiveScanGradients,
  selectiveScan,
  selectiveScanBackward,
  type Tensor,
  tensor,
} from '../../index';
import { SCAN_INPUTS, type ScanInputName, type ScanProblem } from '../oracle/selectiveScanOracle';
import type { ProblemSpec } from './random';

/** u's dtype: the three of every backend, plus float64 on the CPU backend. */
export type InputDType = 'float32' | 'float16' | 'bfloat16' | 'float64';

export interface ScanCase extends ProblemSpec {
  dtype: InputDType;
  returnLastState: boolean;
}

export type ScanTensors = {
  [K in ScanInputName]: K extends 'u' | 'delta' | 'A' | 'B' | 'C' ? Tensor : Tensor | null;
};

export function caseName(c: ScanCase): string {
  const short: Record<InputDType, string> = {
    float32: 'f32',
    float16: 'f16',
    bfloat16: 'bf16',
    float64: 'f64',
  };
  const parts = [
    `L=${c.seqlen}`,
    short[c.dtype],
    c.complex ? 'complex' : 'real',
    `B=${c.variableB ? 'var' : 'const'}`,
    `C=${c.variableC ? 'var' : 'const'}`,
    `g=${c.groups}`,
    `b=${c.batch} d=${c.dim} n=${c.dstate}`,
  ];
  for (const [flag, label] of [
    [c.D, 'D'],
    [c.z, 'z'],
    [c.deltaBias, 'bias'],
    [c.deltaSoftplus, 'softplus'],
    [c.initialState, 'init'],
    [c.returnLastState, 'last'],
  ] as const) {
    if (flag) parts.push(label);
  }
  return parts.join(' ');
}

export function stateDType(dtype: InputDType, complex: boolean): DType {
  if (dtype === 'float64') return complex ? 'complex128' : 'float64';
  return complex ? 'complex64' : 'float32';
}

export function shapeOf(p: ScanProblem, name: ScanInputName): number[] {
  const { batch, dim, seqlen, dstate, groups } = p;
  switch (name) {
    case 'u':
    case 'delta':
    case 'z':
      return [batch, dim, seqlen];
    case 'A':
      return [dim, dstate];
    case 'B':
      return p.variableB ? [batch, groups, dstate, seqlen] : [dim, dstate];
    case 'C':
      return p.variableC ? [batch, groups, dstate, seqlen] : [dim, dstate];
    case 'D':
    case 'deltaBias':
      return [dim];
    case 'initialState':
      return [batch, dim, dstate];
  }
}

/** The dtype DESIGN.md gives input `name` when u has `dtype`. */
export function dtypeOf(p: ScanProblem, name: ScanInputName, dtype: InputDType): DType {
  const state = stateDType(dtype, p.complex);
  const real = dtype === 'float64' ? 'float64' : 'float32';
  switch (name) {
    case 'u':
    case 'delta':
    case 'z':
      return dtype;
    case 'A':
    case 'initialState':
      return state;
    case 'B':
      return p.complex ? state : p.variableB ? dtype : state;
    case 'C':
      return p.complex ? state : p.variableC ? dtype : state;
    case 'D':
    case 'deltaBias':
      return real;
  }
}

export function makeTensors(p: ScanProblem, dtype: InputDType, device: string): ScanTensors {
  const t = {} as Record<ScanInputName, Tensor | null>;
  for (const name of SCAN_INPUTS) {
    const x = p[name];
    t[name] = x ? tensor(x, shapeOf(p, name), { dtype: dtypeOf(p, name, dtype), device }) : null;
  }
  return t as ScanTensors;
}

export function tensorsTo(t: ScanTensors, device: string): ScanTensors {
  const r = {} as Record<ScanInputName, Tensor | null>;
  for (const name of SCAN_INPUTS) r[name] = t[name]?.to(device) ?? null;
  return r as ScanTensors;
}

/** The problem as the tensors hold it (16-bit inputs rounded), for the float64 references. */
export function readProblem(t: ScanTensors, like: ScanProblem): ScanProblem {
  const read = (x: Tensor | null) => (x ? Float64Array.from(x.toArraySync()) : null);
  return {
    ...like,
    u: read(t.u)!,
    delta: read(t.delta)!,
    A: read(t.A)!,
    B: read(t.B)!,
    C: read(t.C)!,
    D: read(t.D),
    z: read(t.z),
    deltaBias: read(t.deltaBias),
    initialState: read(t.initialState),
  };
}

export function scanOptions(t: ScanTensors, p: ScanProblem) {
  return {
    D: t.D,
    z: t.z,
    deltaBias: t.deltaBias,
    initialState: t.initialState,
    deltaSoftplus: p.deltaSoftplus,
  };
}

export function runForward(t: ScanTensors, p: ScanProblem): { out: Tensor; lastState: Tensor } {
  return selectiveScan(t.u, t.delta, t.A, t.B, t.C, { ...scanOptions(t, p), returnLastState: true });
}

export function runBackward(
  t: ScanTensors,
  p: ScanProblem,
  gradOut: Tensor,
  gradLastState: Tensor | null,
  deterministic = false,
): SelectiveScanGradients {
  return selectiveScanBackward(gradOut, t.u, t.delta, t.A, t.B, t.C, {
    ...scanOptions(t, p),
    gradLastState,
    deterministic,
  });
}

/** Gradient tensor of input `name` (du for u, ...). */
export function gradOf(g: SelectiveScanGradients, name: ScanInputName): Tensor | null {
  const key = {
    u: 'du',
    delta: 'ddelta',
    A: 'dA',
    B: 'dB',
    C: 'dC',
    D: 'dD',
    z: 'dz',
    deltaBias: 'dDeltaBias',
    initialState: 'dInitialState',
  } as const;
  return g[key[name]];
}

export function toF64(t: Tensor): Float64Array {
  return Float64Array.from(t.toArraySync());
}
