/**
 * Helpers for the CPU scan kernel tests: seeded random inputs, BufferRefs over CpuStorage, and
 * a naive float64 oracle of the forward written independently of the kernels (time-major, one
 * complex multiply-add per line, straight from DESIGN.md).
 */
import {
  type DType,
  fromBFloat16Bits,
  fromFloat16Bits,
  isComplex as isComplexDtype,
  type RealDType,
  toBFloat16Bits,
  toFloat16Bits,
} from '../../dtype';
import type { BufferRef, SelectiveScanArgs } from '../../kernel_names';
import { CpuStorage, viewOf } from '../storage';

/** mulberry32: small, fast, good enough for test data; the seed is logged by each test. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedFromEnv(): number {
  const env = Number.parseInt(process.env.SSCAN_TEST_SEED ?? '', 10);
  return Number.isFinite(env) ? env : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
}

/** A buffer plus its values as float64 (complex interleaved), i.e. what the kernel actually reads. */
export interface TestBuffer {
  ref: BufferRef;
  /** Values as stored (after rounding to the dtype), as numbers. */
  values: Float64Array;
}

function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

const BYTES: Record<DType, number> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  complex64: 8,
  complex128: 16,
};

/** A buffer of `dtype` filled with gen() (two calls per complex element), rounded to the dtype. */
export function makeBuffer(dtype: DType, shape: readonly number[], gen: () => number): TestBuffer {
  const numel = numelOf(shape);
  const storage = new CpuStorage(numel * BYTES[dtype]);
  const ref: BufferRef = { storage, dtype, shape: [...shape], strides: stridesOf(shape), offset: 0 };
  const count = isComplexDtype(dtype) ? 2 * numel : numel;
  const raw = new Float64Array(count);
  for (let i = 0; i < count; i++) raw[i] = gen();
  write(ref, raw);
  return { ref, values: read(ref) };
}

export function emptyBuffer(dtype: DType, shape: readonly number[]): BufferRef {
  const b = makeBuffer(dtype, shape, () => Number.NaN); // NaN: an element left unwritten shows up
  return b.ref;
}

export function write(ref: BufferRef, values: ArrayLike<number>): void {
  const v = viewOf(ref);
  for (let i = 0; i < v.length; i++) {
    v[i] =
      ref.dtype === 'float16'
        ? toFloat16Bits(values[i])
        : ref.dtype === 'bfloat16'
          ? toBFloat16Bits(values[i])
          : values[i];
  }
}

export function read(ref: BufferRef): Float64Array {
  const v = viewOf(ref);
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    out[i] =
      ref.dtype === 'float16'
        ? fromFloat16Bits(v[i])
        : ref.dtype === 'bfloat16'
          ? fromBFloat16Bits(v[i])
          : v[i];
  }
  return out;
}

/** Raw stored bits/values, for bitwise comparisons. */
export function rawCopy(ref: BufferRef): Float64Array | Uint16Array | Float32Array {
  return viewOf(ref).slice();
}

export interface CaseSpec {
  batch: number;
  dim: number;
  seqlen: number;
  dstate: number;
  groups?: number;
  dtype?: RealDType;
  complex?: boolean;
  variableB?: boolean;
  variableC?: boolean;
  D?: boolean;
  z?: boolean;
  deltaBias?: boolean;
  deltaSoftplus?: boolean;
  initialState?: boolean;
  lastState?: boolean;
}

export interface ScanCase {
  spec: Required<CaseSpec>;
  args: SelectiveScanArgs;
  /** The inputs as the kernel reads them (after rounding), float64. */
  inputs: Record<'u' | 'delta' | 'A' | 'B' | 'C', Float64Array> &
    Partial<Record<'D' | 'z' | 'deltaBias' | 'initialState', Float64Array>>;
}

/** Random inputs in the ranges Mamba uses: A < 0 (decaying), dt around softplus(-1..1). */
export function makeCase(spec0: CaseSpec, rand: () => number): ScanCase {
  const spec: Required<CaseSpec> = {
    groups: 1,
    dtype: 'float32',
    complex: false,
    variableB: true,
    variableC: true,
    D: false,
    z: false,
    deltaBias: false,
    deltaSoftplus: false,
    initialState: false,
    lastState: false,
    ...spec0,
  };
  const { batch, dim, seqlen, dstate, groups, dtype } = spec;
  const wide = dtype === 'float64';
  const real: DType = wide ? 'float64' : 'float32';
  const cplx: DType = wide ? 'complex128' : 'complex64';
  const stateType = spec.complex ? cplx : real;
  const sym = (s: number) => () => (2 * rand() - 1) * s;
  const u = makeBuffer(dtype, [batch, dim, seqlen], sym(1));
  // Without softplus dt must stay positive to be a time step; with it, raw values may be negative.
  const delta = makeBuffer(
    dtype,
    [batch, dim, seqlen],
    spec.deltaSoftplus ? sym(2) : () => 0.05 + 0.5 * rand(),
  );
  let k = 0;
  // Re A in (-1.5, -0.1): decaying; Im A in (-3, 3) when complex.
  const A = makeBuffer(stateType, [dim, dstate], () =>
    spec.complex && k++ % 2 === 1 ? sym(3)() : -0.1 - 1.4 * rand(),
  );
  const bcType = spec.complex ? cplx : spec.variableB ? dtype : real;
  const B = makeBuffer(bcType, spec.variableB ? [batch, groups, dstate, seqlen] : [dim, dstate], sym(1));
  const C = makeBuffer(
    spec.complex ? cplx : spec.variableC ? dtype : real,
    spec.variableC ? [batch, groups, dstate, seqlen] : [dim, dstate],
    sym(1),
  );
  const D = spec.D ? makeBuffer(real, [dim], sym(1)) : null;
  const z = spec.z ? makeBuffer(dtype, [batch, dim, seqlen], sym(2)) : null;
  const deltaBias = spec.deltaBias ? makeBuffer(real, [dim], sym(0.5)) : null;
  const initialState = spec.initialState ? makeBuffer(stateType, [batch, dim, dstate], sym(1)) : null;
  const args: SelectiveScanArgs = {
    u: u.ref,
    delta: delta.ref,
    A: A.ref,
    B: B.ref,
    C: C.ref,
    D: D?.ref ?? null,
    z: z?.ref ?? null,
    deltaBias: deltaBias?.ref ?? null,
    initialState: initialState?.ref ?? null,
    batch,
    dim,
    seqlen,
    dstate,
    groups: spec.variableB || spec.variableC ? groups : 1,
    deltaSoftplus: spec.deltaSoftplus,
    isComplex: spec.complex,
    variableB: spec.variableB,
    variableC: spec.variableC,
    out: emptyBuffer(dtype, [batch, dim, seqlen]),
    lastState: spec.lastState ? emptyBuffer(stateType, [batch, dim, dstate]) : null,
    saveForBackward: false,
  };
  const inputs: ScanCase['inputs'] = {
    u: u.values,
    delta: delta.values,
    A: A.values,
    B: B.values,
    C: C.values,
  };
  if (D) inputs.D = D.values;
  if (z) inputs.z = z.values;
  if (deltaBias) inputs.deltaBias = deltaBias.values;
  if (initialState) inputs.initialState = initialState.values;
  return { spec, args, inputs };
}

/**
 * Naive float64 forward, time-major, straight from the formulas. Returns out and the last state
 * (interleaved when complex). Real values are complex numbers with a zero imaginary part here.
 */
export function oracleForward(c: { spec: Required<CaseSpec>; inputs: ScanCase['inputs'] }): {
  out: Float64Array;
  last: Float64Array;
} {
  const { batch, dim, seqlen: L, dstate: N, groups, complex } = c.spec;
  const x = c.inputs;
  const G = c.spec.variableB || c.spec.variableC ? groups : 1;
  const out = new Float64Array(batch * dim * L);
  const last = new Float64Array(batch * dim * N * 2);
  const get = (arr: Float64Array, i: number): [number, number] =>
    complex ? [arr[2 * i], arr[2 * i + 1]] : [arr[i], 0];
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < dim; d++) {
      const g = Math.floor(d / (dim / G));
      const hr = new Float64Array(N);
      const hi = new Float64Array(N);
      for (let n = 0; n < N; n++) {
        if (x.initialState) [hr[n], hi[n]] = get(x.initialState, (b * dim + d) * N + n);
      }
      for (let t = 0; t < L; t++) {
        const i = (b * dim + d) * L + t;
        let dt = x.delta[i] + (x.deltaBias ? x.deltaBias[d] : 0);
        if (c.spec.deltaSoftplus) dt = dt > 20 ? dt : Math.log(1 + Math.exp(dt));
        let y = 0;
        for (let n = 0; n < N; n++) {
          const [ar, ai] = get(x.A, d * N + n);
          const [br, bi] = get(x.B, c.spec.variableB ? ((b * G + g) * N + n) * L + t : d * N + n);
          const [cr, ci] = get(x.C, c.spec.variableC ? ((b * G + g) * N + n) * L + t : d * N + n);
          // exp(dt·A) = e^(dt·ar)·(cos(dt·ai) + i sin(dt·ai))
          const er = Math.exp(dt * ar) * Math.cos(dt * ai);
          const ei = Math.exp(dt * ar) * Math.sin(dt * ai);
          const nr = er * hr[n] - ei * hi[n] + dt * br * x.u[i];
          const ni = er * hi[n] + ei * hr[n] + dt * bi * x.u[i];
          hr[n] = nr;
          hi[n] = ni;
          y += cr * hr[n] - ci * hi[n];
        }
        if (complex) y *= 2;
        if (x.D) y += x.D[d] * x.u[i];
        if (x.z) y *= x.z[i] / (1 + Math.exp(-x.z[i]));
        out[i] = y;
      }
      for (let n = 0; n < N; n++) {
        const j = (b * dim + d) * N + n;
        if (complex) {
          last[2 * j] = hr[n];
          last[2 * j + 1] = hi[n];
        } else last[j] = hr[n];
      }
    }
  }
  return { out, last: complex ? last : last.subarray(0, batch * dim * N) };
}

/** Unit roundoff of a dtype: the relative error of one rounding to it. */
export function eps(dtype: DType): number {
  switch (dtype) {
    case 'float16':
      return 2 ** -11;
    case 'bfloat16':
      return 2 ** -8;
    case 'float32':
    case 'complex64':
      return 2 ** -24;
    default:
      return 2 ** -53;
  }
}

/**
 * Largest violation of |got − want| ≤ abs + rel·|want|, as (index, got, want) for the message;
 * null when all elements pass. NaN in `got` always fails.
 */
export function firstMismatch(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  abs: number,
  rel: number,
): string | null {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= abs + rel * Math.abs(want[i])))
      return `element ${i}: got ${got[i]}, want ${want[i]} (err ${err})`;
  }
  return null;
}
