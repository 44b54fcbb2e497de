/**
 * One decode step of the scan (autoregressive generation): advances `state` in place by one
 * token and returns that token's output. Same math as selectiveScan with seqlen 1.
 */
import type { DType } from '../dtype';
import { formatShape, invalidValue } from '../errors';
import { emptyLike, type Tensor } from '../tensor';
import { MAX_GPU_DSTATE } from './selective_scan';
import {
  checkBoolean,
  checkDtypeIn,
  checkOptionalTensor,
  checkOptionsObject,
  checkSameDevice,
  checkShapeIs,
  checkTensor,
} from './validate';

export interface SelectiveScanStepOptions {
  D?: Tensor | null;
  z?: Tensor | null;
  deltaBias?: Tensor | null;
  deltaSoftplus?: boolean;
}

const STEP_OPTIONS = ['D', 'z', 'deltaBias', 'deltaSoftplus'] as const;

/**
 * state (batch, dim, dstate) — updated in place; x, delta, z (batch, dim); A (dim, dstate);
 * B, C (batch, groups, dstate) or constant (dim, dstate). Returns out (batch, dim).
 */
export function selectiveScanStep(
  state: Tensor,
  x: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options?: SelectiveScanStepOptions,
): Tensor {
  const fn = 'selectiveScanStep';
  const opts = checkOptionsObject(fn, 'options', options, STEP_OPTIONS);
  const s = checkTensor(fn, 'state', state);
  const xs = checkTensor(fn, 'x', x);
  const dt = checkTensor(fn, 'delta', delta);
  const a = checkTensor(fn, 'A', A);
  const b = checkTensor(fn, 'B', B);
  const c = checkTensor(fn, 'C', C);
  const D = checkOptionalTensor(fn, 'options.D', opts.D);
  const z = checkOptionalTensor(fn, 'options.z', opts.z);
  const deltaBias = checkOptionalTensor(fn, 'options.deltaBias', opts.deltaBias);
  const deltaSoftplus = checkBoolean(fn, 'options.deltaSoftplus', opts.deltaSoftplus, false);

  if (xs.rank !== 2 || xs.shape[0] < 1 || xs.shape[1] < 1) {
    throw invalidValue(fn, 'x', 'shape (batch, dim) of rank 2', formatShape(xs.shape));
  }
  const [batch, dim] = xs.shape;
  checkDtypeIn(fn, 'x', xs, ['float32', 'float16', 'bfloat16', 'float64']);
  checkSameDevice(
    fn,
    ['x', xs],
    [
      ['state', s],
      ['delta', dt],
      ['A', a],
      ['B', b],
      ['C', c],
      ['options.D', D],
      ['options.z', z],
      ['options.deltaBias', deltaBias],
    ],
  );
  const wide = xs.dtype === 'float64';
  if (wide && xs.device.type !== 'cpu') {
    throw invalidValue(
      fn,
      'x',
      'dtype float32, float16 or bfloat16 on a GPU (float64 is CPU-only)',
      `float64 on ${xs.deviceName}`,
    );
  }
  checkShapeIs(fn, 'delta', dt, xs.shape, "like 'x' (batch, dim)");
  checkDtypeIn(fn, 'delta', dt, [xs.dtype], "the same as 'x'");
  if (a.rank !== 2 || a.shape[0] !== dim || a.shape[1] < 1)
    throw invalidValue(fn, 'A', `shape (dim=${dim}, dstate)`, formatShape(a.shape));
  const dstate = a.shape[1];
  if (xs.device.type !== 'cpu' && dstate > MAX_GPU_DSTATE) {
    throw invalidValue(
      fn,
      'A',
      `dstate (A.shape[1]) of at most ${MAX_GPU_DSTATE} on ${xs.deviceName}`,
      `${dstate}`,
    );
  }
  const real: DType = wide ? 'float64' : 'float32';
  const cplx: DType = wide ? 'complex128' : 'complex64';
  checkDtypeIn(fn, 'A', a, [real, cplx]);
  const isComplex = a.dtype === cplx;
  checkShapeIs(fn, 'state', s, [batch, dim, dstate], '(batch, dim, dstate)');
  checkDtypeIn(fn, 'state', s, [a.dtype], "the same as 'A'");

  const bc = (arg: string, t: Tensor) => {
    if (t.rank === 2) {
      checkShapeIs(fn, arg, t, [dim, dstate], '(dim, dstate) for a constant B/C');
      checkDtypeIn(fn, arg, t, [a.dtype], "the same as 'A'");
      return { variable: false, groups: 1 };
    }
    if (t.rank === 3 && t.shape[0] === batch && t.shape[2] === dstate && t.shape[1] >= 1) {
      if (dim % t.shape[1] !== 0)
        throw invalidValue(fn, arg, `a group count that divides dim=${dim}`, `${t.shape[1]}`);
      checkDtypeIn(fn, arg, t, [isComplex ? cplx : xs.dtype]);
      return { variable: true, groups: t.shape[1] };
    }
    throw invalidValue(
      fn,
      arg,
      `(dim=${dim}, dstate=${dstate}) or (batch=${batch}, groups, dstate=${dstate})`,
      formatShape(t.shape),
    );
  };
  const vb = bc('B', b);
  const vc = bc('C', c);
  if (vb.variable && vc.variable && vb.groups !== vc.groups) {
    throw invalidValue(fn, 'C', `the same group count as B (${vb.groups})`, `${vc.groups}`);
  }
  for (const [arg, t] of [
    ['options.D', D],
    ['options.deltaBias', deltaBias],
  ] as const) {
    if (!t) continue;
    checkShapeIs(fn, arg, t, [dim], '(dim)');
    checkDtypeIn(fn, arg, t, [real]);
  }
  if (z) {
    checkShapeIs(fn, 'options.z', z, xs.shape, "like 'x' (batch, dim)");
    checkDtypeIn(fn, 'options.z', z, [xs.dtype]);
  }

  const out = emptyLike(xs, xs.shape, xs.dtype);
  try {
    xs.backend.selectiveScanStep({
      batch,
      dim,
      dstate,
      groups: vb.variable ? vb.groups : vc.groups,
      deltaSoftplus,
      isComplex,
      variableB: vb.variable,
      variableC: vc.variable,
      x: xs.ref(fn),
      delta: dt.ref(fn),
      A: a.ref(fn),
      B: b.ref(fn),
      C: c.ref(fn),
      D: D?.ref(fn) ?? null,
      z: z?.ref(fn) ?? null,
      deltaBias: deltaBias?.ref(fn) ?? null,
      state: s.ref(fn),
      out: out.ref(fn),
    });
  } catch (err) {
    out.dispose();
    throw err;
  }
  return out;
}
