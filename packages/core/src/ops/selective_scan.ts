/**
 * The selective scan (S6) operator: forward, backward and the decode step, validated once
 * here for every backend. Semantics and layouts: DESIGN.md.
 */
import type { DType } from '../dtype';
import { formatShape, invalidValue } from '../errors';
import type { ScanSizes, SelectiveScanAttrs, SelectiveScanInputs, Storage } from '../kernel_names';
import { TensorData } from '../memory';
import { emptyLike, Tensor } from '../tensor';
import {
  checkBoolean,
  checkDtypeIn,
  checkOptionalTensor,
  checkOptionsObject,
  checkSameDevice,
  checkShapeIs,
  checkTensor,
} from './validate';

/** Largest dstate the GPU kernels are built for; the CPU backend has no limit. */
export const MAX_GPU_DSTATE = 256;

export interface SelectiveScanOptions {
  /** (dim) skip connection: out += D·u. */
  D?: Tensor | null;
  /** (batch, dim, seqlen) gate: out *= silu(z). */
  z?: Tensor | null;
  /** (dim) added to delta before the softplus. */
  deltaBias?: Tensor | null;
  /** Apply softplus to delta (+ deltaBias). Default false. */
  deltaSoftplus?: boolean;
  /** Also return h at the last step, (batch, dim, dstate). Default false. */
  returnLastState?: boolean;
  /** (batch, dim, dstate) state before the first step. Default zeros. */
  initialState?: Tensor | null;
}

export interface SelectiveScanTensors {
  u: Tensor;
  delta: Tensor;
  A: Tensor;
  B: Tensor;
  C: Tensor;
  D: Tensor | null;
  z: Tensor | null;
  deltaBias: Tensor | null;
  initialState: Tensor | null;
}

export interface ValidatedScan {
  readonly tensors: SelectiveScanTensors;
  readonly attrs: SelectiveScanAttrs;
  /** dtype of A, constant B/C, states: float32/float64 or complex64/complex128. */
  readonly stateDtype: DType;
}

const SCAN_OPTIONS = ['D', 'z', 'deltaBias', 'deltaSoftplus', 'returnLastState', 'initialState'] as const;
const INPUT_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64'];

/** Check every input of the scan; return sizes and flags for the kernels. */
export function validateSelectiveScan(
  fn: string,
  uArg: unknown,
  deltaArg: unknown,
  AArg: unknown,
  BArg: unknown,
  CArg: unknown,
  opts: Record<string, unknown>,
): ValidatedScan {
  const u = checkTensor(fn, 'u', uArg);
  const delta = checkTensor(fn, 'delta', deltaArg);
  const A = checkTensor(fn, 'A', AArg);
  const B = checkTensor(fn, 'B', BArg);
  const C = checkTensor(fn, 'C', CArg);
  const D = checkOptionalTensor(fn, 'options.D', opts.D);
  const z = checkOptionalTensor(fn, 'options.z', opts.z);
  const deltaBias = checkOptionalTensor(fn, 'options.deltaBias', opts.deltaBias);
  const initialState = checkOptionalTensor(fn, 'options.initialState', opts.initialState);
  const deltaSoftplus = checkBoolean(fn, 'options.deltaSoftplus', opts.deltaSoftplus, false);

  if (u.rank !== 3) throw invalidValue(fn, 'u', 'shape (batch, dim, seqlen) of rank 3', formatShape(u.shape));
  const [batch, dim, seqlen] = u.shape;
  if (batch < 1 || dim < 1 || seqlen < 1) {
    throw invalidValue(fn, 'u', 'batch, dim and seqlen of at least 1', formatShape(u.shape));
  }
  checkDtypeIn(fn, 'u', u, INPUT_DTYPES, 'float64 on the CPU backend only');
  const wide = u.dtype === 'float64';
  checkSameDevice(
    fn,
    ['u', u],
    [
      ['delta', delta],
      ['A', A],
      ['B', B],
      ['C', C],
      ['options.D', D],
      ['options.z', z],
      ['options.deltaBias', deltaBias],
      ['options.initialState', initialState],
    ],
  );
  if (wide && u.device.type !== 'cpu') {
    throw invalidValue(
      fn,
      'u',
      'dtype float32, float16 or bfloat16 on a GPU (float64 is CPU-only)',
      `float64 on ${u.deviceName}`,
    );
  }

  checkShapeIs(fn, 'delta', delta, u.shape, "like 'u' (batch, dim, seqlen)");
  checkDtypeIn(fn, 'delta', delta, [u.dtype], "the same as 'u'");

  if (A.rank !== 2 || A.shape[0] !== dim || A.shape[1] < 1) {
    throw invalidValue(fn, 'A', `shape (dim=${dim}, dstate ≥ 1)`, formatShape(A.shape));
  }
  const dstate = A.shape[1];
  const realState: DType = wide ? 'float64' : 'float32';
  const complexState: DType = wide ? 'complex128' : 'complex64';
  checkDtypeIn(fn, 'A', A, [realState, complexState]);
  const isComplex = A.dtype === complexState;
  const stateDtype = A.dtype;
  if (u.device.type !== 'cpu' && dstate > MAX_GPU_DSTATE) {
    throw invalidValue(
      fn,
      'A',
      `dstate (A.shape[1]) of at most ${MAX_GPU_DSTATE} on ${u.deviceName}`,
      `${dstate}`,
    );
  }

  const bc = (arg: 'B' | 'C', t: Tensor): { variable: boolean; groups: number } => {
    if (t.rank === 2) {
      checkShapeIs(fn, arg, t, [dim, dstate], '(dim, dstate) for a constant B/C');
      checkDtypeIn(fn, arg, t, [stateDtype], `the same as 'A' for a constant ${arg}`);
      return { variable: false, groups: 1 };
    }
    if (t.rank === 4) {
      const [b, g, n, l] = t.shape;
      if (b !== batch || n !== dstate || l !== seqlen || g < 1) {
        throw invalidValue(
          fn,
          arg,
          `shape (batch=${batch}, groups, dstate=${dstate}, seqlen=${seqlen}) for a variable ${arg}`,
          formatShape(t.shape),
        );
      }
      if (dim % g !== 0)
        throw invalidValue(fn, arg, `a group count (${arg}.shape[1]) that divides dim=${dim}`, `${g}`);
      checkDtypeIn(
        fn,
        arg,
        t,
        [isComplex ? complexState : u.dtype],
        isComplex ? 'complex like A' : "the same as 'u' for a variable B/C",
      );
      return { variable: true, groups: g };
    }
    throw invalidValue(fn, arg, '(dim, dstate) or (batch, groups, dstate, seqlen)', formatShape(t.shape));
  };
  const b = bc('B', B);
  const c = bc('C', C);
  if (b.variable && c.variable && b.groups !== c.groups) {
    throw invalidValue(
      fn,
      'C',
      `the same group count as B (${b.groups})`,
      `${c.groups} (shape ${formatShape(C.shape)})`,
    );
  }
  const groups = b.variable ? b.groups : c.groups;

  for (const [arg, t] of [
    ['options.D', D],
    ['options.deltaBias', deltaBias],
  ] as const) {
    if (!t) continue;
    checkShapeIs(fn, arg, t, [dim], '(dim)');
    checkDtypeIn(fn, arg, t, [realState]);
  }
  if (z) {
    checkShapeIs(fn, 'options.z', z, u.shape, "like 'u' (batch, dim, seqlen)");
    checkDtypeIn(fn, 'options.z', z, [u.dtype], "the same as 'u'");
  }
  if (initialState) {
    checkShapeIs(fn, 'options.initialState', initialState, [batch, dim, dstate], '(batch, dim, dstate)');
    checkDtypeIn(fn, 'options.initialState', initialState, [stateDtype], "the same as 'A'");
  }

  return {
    tensors: { u, delta, A, B, C, D, z, deltaBias, initialState },
    attrs: {
      batch,
      dim,
      seqlen,
      dstate,
      groups,
      deltaSoftplus,
      isComplex,
      variableB: b.variable,
      variableC: c.variable,
    },
    stateDtype,
  };
}

export function inputRefs(fn: string, t: SelectiveScanTensors): SelectiveScanInputs {
  return {
    u: t.u.ref(fn),
    delta: t.delta.ref(fn),
    A: t.A.ref(fn),
    B: t.B.ref(fn),
    C: t.C.ref(fn),
    D: t.D?.ref(fn) ?? null,
    z: t.z?.ref(fn) ?? null,
    deltaBias: t.deltaBias?.ref(fn) ?? null,
    initialState: t.initialState?.ref(fn) ?? null,
  };
}

/**
 * Validate a whole selectiveScan call, options object included: shared by core's op and
 * the differentiable one in @sscan/autograd, so both reject bad input identically.
 */
export function validateSelectiveScanCall(
  fn: string,
  u: unknown,
  delta: unknown,
  A: unknown,
  B: unknown,
  C: unknown,
  options: unknown,
): { v: ValidatedScan; returnLastState: boolean } {
  const opts = checkOptionsObject(fn, 'options', options, SCAN_OPTIONS);
  const returnLastState = checkBoolean(fn, 'options.returnLastState', opts.returnLastState, false);
  return { v: validateSelectiveScan(fn, u, delta, A, B, C, opts), returnLastState };
}

export interface SelectiveScanForwardResult {
  out: Tensor;
  lastState: Tensor | null;
  /** Backend data for the backward (chunk carries), when asked for. */
  saved: Tensor | null;
}

/** @internal The forward as autograd calls it: validated, optionally keeping `saved`. */
export function selectiveScanForward(
  fn: string,
  v: ValidatedScan,
  want: { lastState: boolean; saveForBackward: boolean },
): SelectiveScanForwardResult {
  const { u } = v.tensors;
  const { batch, dim, dstate } = v.attrs;
  const out = emptyLike(u, u.shape, u.dtype);
  const lastState = want.lastState ? emptyLike(u, [batch, dim, dstate], v.stateDtype) : null;
  try {
    const result = u.backend.selectiveScan({
      ...inputRefs(fn, v.tensors),
      ...v.attrs,
      out: out.ref(fn),
      lastState: lastState?.ref(fn) ?? null,
      saveForBackward: want.saveForBackward,
    });
    return { out, lastState, saved: result.saved ? wrapSaved(u, result.saved) : null };
  } catch (err) {
    out.dispose();
    lastState?.dispose();
    throw err;
  }
}

function wrapSaved(like: Tensor, storage: Storage): Tensor {
  const data = like.data();
  const t = new Tensor(
    new TensorData(data.backend, data.device, storage),
    [Math.ceil(storage.byteLength / 4)],
    'float32',
  );
  return t;
}

/**
 * The selective scan. Returns `out` (batch, dim, seqlen) in u's dtype, or
 * `{ out, lastState }` when `returnLastState` is set.
 */
export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options?: SelectiveScanOptions & { returnLastState?: false },
): Tensor;
export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options: SelectiveScanOptions & { returnLastState: true },
): { out: Tensor; lastState: Tensor };
export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options?: SelectiveScanOptions,
): Tensor | { out: Tensor; lastState: Tensor };
export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options?: SelectiveScanOptions,
): Tensor | { out: Tensor; lastState: Tensor } {
  const { v, returnLastState } = validateSelectiveScanCall('selectiveScan', u, delta, A, B, C, options);
  const r = selectiveScanForward('selectiveScan', v, { lastState: returnLastState, saveForBackward: false });
  return returnLastState ? { out: r.out, lastState: r.lastState! } : r.out;
}

export interface SelectiveScanGradients {
  du: Tensor;
  ddelta: Tensor;
  dA: Tensor;
  dB: Tensor;
  dC: Tensor;
  dD: Tensor | null;
  dz: Tensor | null;
  dDeltaBias: Tensor | null;
  dInitialState: Tensor | null;
}

export interface SelectiveScanBackwardOptions extends SelectiveScanOptions {
  /** dL/d lastState, (batch, dim, dstate) in A's dtype. */
  gradLastState?: Tensor | null;
  /** Bitwise reproducible gradients run to run. Default false. */
  deterministic?: boolean;
  /** @internal What the forward saved (from the autograd path). */
  saved?: Tensor | null;
}

const BACKWARD_OPTIONS = [...SCAN_OPTIONS, 'gradLastState', 'deterministic', 'saved'] as const;

/**
 * Gradients of the scan for every tensor input, given dL/d out (and optionally dL/d lastState).
 * Inputs and options must be those of the forward call.
 */
export function selectiveScanBackward(
  gradOut: Tensor,
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options?: SelectiveScanBackwardOptions,
): SelectiveScanGradients {
  const fn = 'selectiveScanBackward';
  const opts = checkOptionsObject(fn, 'options', options, BACKWARD_OPTIONS);
  // Accepted so the forward's options can be passed as they are; still a flag like any other.
  checkBoolean(fn, 'options.returnLastState', opts.returnLastState, false);
  const v = validateSelectiveScan(fn, u, delta, A, B, C, opts);
  const g = checkTensor(fn, 'gradOut', gradOut);
  checkShapeIs(fn, 'gradOut', g, u.shape, "like 'u' (batch, dim, seqlen)");
  checkDtypeIn(fn, 'gradOut', g, [u.dtype], "the same as 'u'");
  const gradLastState = checkOptionalTensor(fn, 'options.gradLastState', opts.gradLastState);
  const { batch, dim, dstate } = v.attrs;
  if (gradLastState) {
    checkShapeIs(fn, 'options.gradLastState', gradLastState, [batch, dim, dstate], '(batch, dim, dstate)');
    checkDtypeIn(fn, 'options.gradLastState', gradLastState, [v.stateDtype], "the same as 'A'");
  }
  const deterministic = checkBoolean(fn, 'options.deterministic', opts.deterministic, false);
  const saved = checkOptionalTensor(fn, 'options.saved', opts.saved);
  // saved is backend-private memory: from another device it would reach the wrong backend.
  checkSameDevice(
    fn,
    ['u', u],
    [
      ['gradOut', g],
      ['options.gradLastState', gradLastState],
      ['options.saved', saved],
    ],
  );
  return runBackward(fn, v, g, gradLastState, saved, deterministic);
}

/** @internal The validated backward, as autograd calls it. */
export function runBackward(
  fn: string,
  v: ValidatedScan,
  gradOut: Tensor,
  gradLastState: Tensor | null,
  saved: Tensor | null,
  deterministic: boolean,
): SelectiveScanGradients {
  const t = v.tensors;
  const like = (x: Tensor) => emptyLike(t.u, x.shape, x.dtype);
  const grads: SelectiveScanGradients = {
    du: like(t.u),
    ddelta: like(t.delta),
    dA: like(t.A),
    dB: like(t.B),
    dC: like(t.C),
    dD: t.D ? like(t.D) : null,
    dz: t.z ? like(t.z) : null,
    dDeltaBias: t.deltaBias ? like(t.deltaBias) : null,
    dInitialState: t.initialState ? like(t.initialState) : null,
  };
  try {
    t.u.backend.selectiveScanBackward({
      ...inputRefs(fn, t),
      ...v.attrs,
      saved: saved ? saved.data(fn).storage : null,
      gradOut: gradOut.ref(fn),
      gradLastState: gradLastState?.ref(fn) ?? null,
      du: grads.du.ref(fn),
      ddelta: grads.ddelta.ref(fn),
      dA: grads.dA.ref(fn),
      dB: grads.dB.ref(fn),
      dC: grads.dC.ref(fn),
      dD: grads.dD?.ref(fn) ?? null,
      dz: grads.dz?.ref(fn) ?? null,
      dDeltaBias: grads.dDeltaBias?.ref(fn) ?? null,
      dInitialState: grads.dInitialState?.ref(fn) ?? null,
      deterministic,
    });
  } catch (err) {
    for (const x of Object.values(grads)) x?.dispose();
    throw err;
  }
  return grads;
}

export type { ScanSizes };
