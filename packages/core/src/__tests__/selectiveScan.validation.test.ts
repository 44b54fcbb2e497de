/**
 * Bad input to selectiveScan, selectiveScanBackward and selectiveScanStep: every check in
 * ops/selective_scan.ts, ops/selective_scan_step.ts and ops/validate.ts is triggered, and each
 * error is of the right class (TypeError for the wrong kind of value, RangeError for a value
 * of the right kind outside what is allowed) with a message naming the function, the
 * argument, what was expected and what came.
 *
 * Device checks need a second device: a stand-in 'cuda' backend (the CPU backend under
 * another name) is registered for this file only, so tensors can live on 'cuda:0'. It never
 * runs a kernel here: validation must throw first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../cpu/CpuBackend';
import type { DType } from '../dtype';
import {
  MAX_GPU_DSTATE,
  selectiveScan,
  selectiveScanBackward,
  selectiveScanStep,
  setBackend,
  type Tensor,
  tensor,
} from '../index';
import { loadNativeBackend } from '../loader';
import { BACKEND_PRIORITY } from '../register_backends';
import { registerBackend, resetBackendsForTesting } from '../registry';

const batch = 2;
const dim = 4;
const seqlen = 5;
const dstate = 3;

let seed = 1;
/** Non-trivial values (never all zeros or ones): validation must not depend on them anyway. */
function t(shape: number[], dtype: DType = 'float32', device = 'cpu'): Tensor {
  const width = dtype === 'complex64' || dtype === 'complex128' ? 2 : 1;
  const n = shape.reduce((a, b) => a * b, 1) * width;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(++seed) * 0.5;
  return tensor(v, shape, { dtype, device });
}

class StandInCuda extends CpuBackend {
  // Same memory and kernels as the CPU backend, reported as a cuda device.
  override readonly type = 'cuda' as never;
}

beforeAll(() => {
  registerBackend('cuda', () => new StandInCuda(), BACKEND_PRIORITY.cuda);
  setBackend('cpu');
});
afterAll(() => {
  registerBackend('cuda', () => loadNativeBackend('cuda'), BACKEND_PRIORITY.cuda);
  resetBackendsForTesting();
});

/** Runs fn, asserting the error class exactly and that the message holds every part. */
function expectError(
  fn: () => unknown,
  cls: typeof TypeError | typeof RangeError,
  parts: Array<string | RegExp>,
): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(Error);
  const err = caught as Error;
  expect(err.constructor.name, err.message).toBe(cls.name);
  for (const part of parts) {
    if (typeof part === 'string') expect(err.message).toContain(part);
    else expect(err.message).toMatch(part);
  }
}

interface ScanArgs {
  u: unknown;
  delta: unknown;
  A: unknown;
  B: unknown;
  C: unknown;
  options?: unknown;
}

function good(device = 'cpu'): Required<ScanArgs> & { options: Record<string, unknown> } {
  return {
    u: t([batch, dim, seqlen], 'float32', device),
    delta: t([batch, dim, seqlen], 'float32', device),
    A: t([dim, dstate], 'float32', device),
    B: t([batch, 2, dstate, seqlen], 'float32', device),
    C: t([dim, dstate], 'float32', device),
    options: {
      D: t([dim], 'float32', device),
      z: t([batch, dim, seqlen], 'float32', device),
      deltaBias: t([dim], 'float32', device),
      initialState: t([batch, dim, dstate], 'float32', device),
      deltaSoftplus: true,
    },
  };
}

type Caller = (a: ScanArgs) => unknown;
const callers: Array<[string, Caller]> = [
  [
    'selectiveScan',
    (a) => (selectiveScan as (...x: unknown[]) => unknown)(a.u, a.delta, a.A, a.B, a.C, a.options),
  ],
  [
    'selectiveScanBackward',
    (a) => {
      const u = a.u as Tensor;
      const gradOut =
        u instanceof Object && 'shape' in u && !u.isDisposed && u.rank === 3
          ? t([...u.shape], u.dtype, u.deviceName)
          : t([batch, dim, seqlen]);
      return (selectiveScanBackward as (...x: unknown[]) => unknown)(
        gradOut,
        a.u,
        a.delta,
        a.A,
        a.B,
        a.C,
        a.options,
      );
    },
  ],
];

describe.each(callers)('%s rejects bad input', (fn, call) => {
  it('accepts the good arguments (so each case below fails for its one change)', () => {
    expect(() => call(good())).not.toThrow();
  });

  it('options: not an object, unknown key, non-boolean flags', () => {
    for (const bad of [5, 'x', [], null]) {
      expectError(() => call({ ...good(), options: bad }), TypeError, [
        `${fn}:`,
        "argument 'options'",
        'an options object',
        'got',
      ]);
    }
    expectError(() => call({ ...good(), options: t([2]) }), TypeError, [
      `${fn}:`,
      "'options'",
      'an options object',
      'Tensor([2], float32, cpu)',
    ]);
    expectError(() => call({ ...good(), options: { deltaSoftPlus: true } }), RangeError, [
      `${fn}:`,
      "'options'",
      'keys among',
      "unknown key 'deltaSoftPlus'",
    ]);
    expectError(() => call({ ...good(), options: { deltaSoftplus: 1 } }), TypeError, [
      `${fn}:`,
      "'options.deltaSoftplus'",
      'a boolean',
      'got number 1',
    ]);
    expectError(() => call({ ...good(), options: { returnLastState: 'yes' } }), TypeError, [
      `${fn}:`,
      "'options.returnLastState'",
      'a boolean',
      "got string 'yes'",
    ]);
  });

  it('tensor arguments: not a tensor, or disposed', () => {
    for (const arg of ['u', 'delta', 'A', 'B', 'C'] as const) {
      expectError(() => call({ ...good(), [arg]: [1, 2, 3] }), TypeError, [
        `${fn}:`,
        `argument '${arg}'`,
        'a Tensor',
        'got array [1, 2, 3]',
      ]);
      const a = good();
      (a[arg] as Tensor).dispose();
      expectError(() => call(a), TypeError, [
        `${fn}:`,
        `argument '${arg}'`,
        'not disposed',
        `got a disposed Tensor(`,
      ]);
    }
    for (const opt of ['D', 'z', 'deltaBias', 'initialState'] as const) {
      const a = good();
      expectError(() => call({ ...a, options: { ...a.options, [opt]: 3 } }), TypeError, [
        `${fn}:`,
        `'options.${opt}'`,
        'a Tensor',
        'got number 3',
      ]);
      (a.options[opt] as Tensor).dispose();
      expectError(() => call(a), TypeError, [
        `${fn}:`,
        `'options.${opt}'`,
        'not disposed',
        'got a disposed Tensor(',
      ]);
    }
  });

  it('u: rank, empty sizes, dtype', () => {
    expectError(() => call({ ...good(), u: t([batch, dim]) }), RangeError, [
      `${fn}:`,
      "'u'",
      'rank 3',
      'got [2, 4]',
    ]);
    expectError(() => call({ ...good(), u: t([0, dim, seqlen]) }), RangeError, [
      `${fn}:`,
      "'u'",
      'at least 1',
      'got [0, 4, 5]',
    ]);
    expectError(() => call({ ...good(), u: t([batch, dim, seqlen], 'complex64') }), RangeError, [
      `${fn}:`,
      "'u'",
      'float32',
      'float16',
      'bfloat16',
      'got complex64',
    ]);
  });

  it('delta: shape and dtype like u', () => {
    expectError(() => call({ ...good(), delta: t([batch, dim, seqlen + 1]) }), RangeError, [
      `${fn}:`,
      "'delta'",
      '[2, 4, 5]',
      'got [2, 4, 6]',
    ]);
    expectError(() => call({ ...good(), delta: t([batch, dim, seqlen], 'float16') }), RangeError, [
      `${fn}:`,
      "'delta'",
      'dtype float32',
      'got float16',
    ]);
  });

  it('A: shape (dim, dstate ≥ 1) and a state dtype', () => {
    expectError(() => call({ ...good(), A: t([dim + 1, dstate]) }), RangeError, [
      `${fn}:`,
      "'A'",
      'dim=4',
      'got [5, 3]',
    ]);
    expectError(() => call({ ...good(), A: t([dim]) }), RangeError, [`${fn}:`, "'A'", 'got [4]']);
    expectError(() => call({ ...good(), A: t([dim, 0]) }), RangeError, [
      `${fn}:`,
      "'A'",
      'dstate ≥ 1',
      'got [4, 0]',
    ]);
    expectError(() => call({ ...good(), A: t([dim, dstate], 'float16') }), RangeError, [
      `${fn}:`,
      "'A'",
      'float32 or complex64',
      'got float16',
    ]);
  });

  it('B and C: constant and variable shapes, dtypes, groups', () => {
    for (const arg of ['B', 'C'] as const) {
      expectError(() => call({ ...good(), [arg]: t([dim, dstate + 1]) }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        '[4, 3]',
        'constant',
        'got [4, 4]',
      ]);
      expectError(() => call({ ...good(), [arg]: t([dim, dstate], 'complex64') }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        'dtype float32',
        'got complex64',
      ]);
      expectError(() => call({ ...good(), [arg]: t([batch, dim, dstate]) }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        '(batch, groups, dstate, seqlen)',
        'got [2, 4, 3]',
      ]);
      expectError(() => call({ ...good(), [arg]: t([batch + 1, 2, dstate, seqlen]) }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        'batch=2',
        'got [3, 2, 3, 5]',
      ]);
      expectError(() => call({ ...good(), [arg]: t([batch, 2, dstate, seqlen - 1]) }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        'seqlen=5',
        'got [2, 2, 3, 4]',
      ]);
      expectError(() => call({ ...good(), [arg]: t([batch, 2, dstate + 1, seqlen]) }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        'dstate=3',
        'got [2, 2, 4, 5]',
      ]);
      expectError(() => call({ ...good(), [arg]: t([batch, 3, dstate, seqlen]) }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        'divides dim=4',
        'got 3',
      ]);
      expectError(() => call({ ...good(), [arg]: t([batch, 2, dstate, seqlen], 'bfloat16') }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        "the same as 'u'",
        'got bfloat16',
      ]);
    }
    // Both variable with different group counts.
    expectError(() => call({ ...good(), C: t([batch, 4, dstate, seqlen]) }), RangeError, [
      `${fn}:`,
      "'C'",
      'same group count as B (2)',
      'got 4',
    ]);
    // Complex A wants complex B/C, constant and variable.
    const a = good();
    expectError(() => call({ ...a, A: t([dim, dstate], 'complex64'), options: {} }), RangeError, [
      `${fn}:`,
      "'B'",
      'complex',
      'got float32',
    ]);
  });

  it('D, deltaBias, z, initialState: shapes and dtypes', () => {
    for (const opt of ['D', 'deltaBias'] as const) {
      const a = good();
      expectError(() => call({ ...a, options: { ...a.options, [opt]: t([dim + 1]) } }), RangeError, [
        `${fn}:`,
        `'options.${opt}'`,
        '[4]',
        'got [5]',
      ]);
      expectError(() => call({ ...a, options: { ...a.options, [opt]: t([dim], 'float16') } }), RangeError, [
        `${fn}:`,
        `'options.${opt}'`,
        'float32',
        'got float16',
      ]);
    }
    const a = good();
    expectError(() => call({ ...a, options: { ...a.options, z: t([batch, dim, seqlen - 1]) } }), RangeError, [
      `${fn}:`,
      "'options.z'",
      '[2, 4, 5]',
      'got [2, 4, 4]',
    ]);
    expectError(
      () => call({ ...a, options: { ...a.options, z: t([batch, dim, seqlen], 'bfloat16') } }),
      RangeError,
      [`${fn}:`, "'options.z'", 'float32', 'got bfloat16'],
    );
    expectError(
      () => call({ ...a, options: { ...a.options, initialState: t([batch, dim, dstate + 1]) } }),
      RangeError,
      [`${fn}:`, "'options.initialState'", '[2, 4, 3]', 'got [2, 4, 4]'],
    );
    expectError(
      () => call({ ...a, options: { ...a.options, initialState: t([batch, dim, dstate], 'complex64') } }),
      RangeError,
      [`${fn}:`, "'options.initialState'", 'float32', 'got complex64'],
    );
  });

  it('devices: every tensor on u’s device; float64 and dstate limits on a GPU', () => {
    for (const arg of ['delta', 'A', 'B', 'C'] as const) {
      const a = good();
      const moved = (a[arg] as Tensor).to('cuda');
      expectError(() => call({ ...a, [arg]: moved }), RangeError, [
        `${fn}:`,
        `'${arg}'`,
        "on cpu like 'u'",
        'got cuda:0',
      ]);
    }
    for (const opt of ['D', 'z', 'deltaBias', 'initialState'] as const) {
      const a = good();
      expectError(
        () => call({ ...a, options: { ...a.options, [opt]: (a.options[opt] as Tensor).to('cuda') } }),
        RangeError,
        [`${fn}:`, `'options.${opt}'`, "on cpu like 'u'", 'got cuda:0'],
      );
    }
    // float64 is CPU-only.
    const wide = (device: string) => ({
      u: t([batch, dim, seqlen], 'float64', device),
      delta: t([batch, dim, seqlen], 'float64', device),
      A: t([dim, dstate], 'float64', device),
      B: t([dim, dstate], 'float64', device),
      C: t([dim, dstate], 'float64', device),
    });
    expect(() => call(wide('cpu'))).not.toThrow();
    expectError(() => call(wide('cuda')), RangeError, [
      `${fn}:`,
      "'u'",
      'float64 is CPU-only',
      'got float64 on cuda:0',
    ]);
    // dstate above the GPU kernels' limit: fine on the CPU, refused on a GPU.
    const big = (device: string) => ({
      u: t([1, 2, 3], 'float32', device),
      delta: t([1, 2, 3], 'float32', device),
      A: t([2, MAX_GPU_DSTATE + 1], 'float32', device),
      B: t([2, MAX_GPU_DSTATE + 1], 'float32', device),
      C: t([2, MAX_GPU_DSTATE + 1], 'float32', device),
    });
    expect(() => call(big('cpu'))).not.toThrow();
    expectError(() => call(big('cuda')), RangeError, [
      `${fn}:`,
      "'A'",
      `at most ${MAX_GPU_DSTATE}`,
      `got ${MAX_GPU_DSTATE + 1}`,
    ]);
  });
});

describe('selectiveScanBackward rejects bad gradients and flags', () => {
  const run = (gradOut: unknown, options: Record<string, unknown> = {}) => {
    const a = good();
    return (selectiveScanBackward as (...x: unknown[]) => unknown)(gradOut, a.u, a.delta, a.A, a.B, a.C, {
      ...a.options,
      ...options,
    });
  };
  const fn = 'selectiveScanBackward:';

  it('gradOut: a tensor shaped and typed like u, on u’s device', () => {
    expectError(() => run(null), TypeError, [fn, "'gradOut'", 'a Tensor', 'got null']);
    expectError(() => run(t([batch, dim, seqlen + 1])), RangeError, [
      fn,
      "'gradOut'",
      '[2, 4, 5]',
      'got [2, 4, 6]',
    ]);
    expectError(() => run(t([batch, dim, seqlen], 'bfloat16')), RangeError, [
      fn,
      "'gradOut'",
      'float32',
      'got bfloat16',
    ]);
    expectError(() => run(t([batch, dim, seqlen], 'float32', 'cuda')), RangeError, [
      fn,
      "'gradOut'",
      "on cpu like 'u'",
      'got cuda:0',
    ]);
    const g = t([batch, dim, seqlen]);
    g.dispose();
    expectError(() => run(g), TypeError, [
      fn,
      "'gradOut'",
      'not disposed',
      'got a disposed Tensor([2, 4, 5], float32, cpu)',
    ]);
  });

  it('gradLastState: shape and dtype of the state, on u’s device', () => {
    const g = () => t([batch, dim, seqlen]);
    expectError(() => run(g(), { gradLastState: 'x' }), TypeError, [
      fn,
      "'options.gradLastState'",
      'a Tensor',
      "got string 'x'",
    ]);
    expectError(() => run(g(), { gradLastState: t([batch, dim, dstate + 1]) }), RangeError, [
      fn,
      "'options.gradLastState'",
      '[2, 4, 3]',
      'got [2, 4, 4]',
    ]);
    expectError(() => run(g(), { gradLastState: t([batch, dim, dstate], 'complex64') }), RangeError, [
      fn,
      "'options.gradLastState'",
      'float32',
      'got complex64',
    ]);
    expectError(() => run(g(), { gradLastState: t([batch, dim, dstate], 'float32', 'cuda') }), RangeError, [
      fn,
      "'options.gradLastState'",
      "on cpu like 'u'",
      'got cuda:0',
    ]);
  });

  it('deterministic must be a boolean, saved a tensor on u’s device', () => {
    expectError(() => run(t([batch, dim, seqlen]), { deterministic: 'true' }), TypeError, [
      fn,
      "'options.deterministic'",
      'a boolean',
      "got string 'true'",
    ]);
    expectError(() => run(t([batch, dim, seqlen]), { saved: {} }), TypeError, [
      fn,
      "'options.saved'",
      'a Tensor',
      'got Object object',
    ]);
    expectError(() => run(t([batch, dim, seqlen]), { saved: t([16], 'float32', 'cuda') }), RangeError, [
      fn,
      "'options.saved'",
      "on cpu like 'u'",
      'got cuda:0',
    ]);
  });
});

describe('selectiveScanStep rejects bad input', () => {
  const fn = 'selectiveScanStep:';
  interface StepArgs {
    state: unknown;
    x: unknown;
    delta: unknown;
    A: unknown;
    B: unknown;
    C: unknown;
    options?: unknown;
  }
  const stepGood = (device = 'cpu'): StepArgs & { options: Record<string, unknown> } => ({
    state: t([batch, dim, dstate], 'float32', device),
    x: t([batch, dim], 'float32', device),
    delta: t([batch, dim], 'float32', device),
    A: t([dim, dstate], 'float32', device),
    B: t([batch, 2, dstate], 'float32', device),
    C: t([dim, dstate], 'float32', device),
    options: {
      D: t([dim], 'float32', device),
      z: t([batch, dim], 'float32', device),
      deltaBias: t([dim], 'float32', device),
      deltaSoftplus: true,
    },
  });
  const step = (a: StepArgs) =>
    (selectiveScanStep as (...x: unknown[]) => unknown)(a.state, a.x, a.delta, a.A, a.B, a.C, a.options);

  it('accepts the good arguments', () => {
    expect(() => step(stepGood())).not.toThrow();
  });

  it('options, tensors, flags', () => {
    expectError(() => step({ ...stepGood(), options: 7 }), TypeError, [
      fn,
      "'options'",
      'an options object',
      'got number 7',
    ]);
    expectError(() => step({ ...stepGood(), options: { initialState: null } }), RangeError, [
      fn,
      "'options'",
      "unknown key 'initialState'",
    ]);
    expectError(() => step({ ...stepGood(), options: { deltaSoftplus: 'no' } }), TypeError, [
      fn,
      "'options.deltaSoftplus'",
      'a boolean',
      "got string 'no'",
    ]);
    for (const arg of ['state', 'x', 'delta', 'A', 'B', 'C'] as const) {
      expectError(() => step({ ...stepGood(), [arg]: undefined }), TypeError, [
        fn,
        `'${arg}'`,
        'a Tensor',
        'got undefined',
      ]);
      const a = stepGood();
      (a[arg] as Tensor).dispose();
      expectError(() => step(a), TypeError, [fn, `'${arg}'`, 'not disposed', 'got a disposed Tensor(']);
    }
    for (const opt of ['D', 'z', 'deltaBias'] as const) {
      const a = stepGood();
      expectError(() => step({ ...a, options: { ...a.options, [opt]: 1.5 } }), TypeError, [
        fn,
        `'options.${opt}'`,
        'a Tensor',
        'got number 1.5',
      ]);
    }
  });

  it('shapes and dtypes', () => {
    const g = stepGood;
    expectError(() => step({ ...g(), x: t([batch, dim, 1]) }), RangeError, [
      fn,
      "'x'",
      'rank 2',
      'got [2, 4, 1]',
    ]);
    expectError(() => step({ ...g(), x: t([0, dim]) }), RangeError, [
      fn,
      "'x'",
      '(batch, dim)',
      'got [0, 4]',
    ]);
    expectError(() => step({ ...g(), x: t([batch, dim], 'complex64') }), RangeError, [
      fn,
      "'x'",
      'float32',
      'got complex64',
    ]);
    expectError(() => step({ ...g(), delta: t([batch, dim + 1]) }), RangeError, [
      fn,
      "'delta'",
      '[2, 4]',
      'got [2, 5]',
    ]);
    expectError(() => step({ ...g(), delta: t([batch, dim], 'float16') }), RangeError, [
      fn,
      "'delta'",
      'float32',
      'got float16',
    ]);
    expectError(() => step({ ...g(), A: t([dim + 1, dstate]) }), RangeError, [
      fn,
      "'A'",
      'dim=4',
      'got [5, 3]',
    ]);
    expectError(() => step({ ...g(), A: t([dim, dstate], 'bfloat16') }), RangeError, [
      fn,
      "'A'",
      'float32 or complex64',
      'got bfloat16',
    ]);
    expectError(() => step({ ...g(), state: t([batch, dim, dstate + 1]) }), RangeError, [
      fn,
      "'state'",
      '[2, 4, 3]',
      'got [2, 4, 4]',
    ]);
    expectError(() => step({ ...g(), state: t([batch, dim, dstate], 'complex64') }), RangeError, [
      fn,
      "'state'",
      "same as 'A'",
      'got complex64',
    ]);
    for (const arg of ['B', 'C'] as const) {
      expectError(() => step({ ...g(), [arg]: t([dim, dstate + 1]) }), RangeError, [
        fn,
        `'${arg}'`,
        '[4, 3]',
        'got [4, 4]',
      ]);
      expectError(() => step({ ...g(), [arg]: t([dim, dstate], 'complex64') }), RangeError, [
        fn,
        `'${arg}'`,
        'float32',
        'got complex64',
      ]);
      expectError(() => step({ ...g(), [arg]: t([batch, 3, dstate]) }), RangeError, [
        fn,
        `'${arg}'`,
        'divides dim=4',
        'got 3',
      ]);
      expectError(() => step({ ...g(), [arg]: t([batch, 2, dstate], 'float16') }), RangeError, [
        fn,
        `'${arg}'`,
        'float32',
        'got float16',
      ]);
      expectError(() => step({ ...g(), [arg]: t([batch + 1, 2, dstate]) }), RangeError, [
        fn,
        `'${arg}'`,
        'batch=2',
        'got [3, 2, 3]',
      ]);
      expectError(() => step({ ...g(), [arg]: t([batch, 2, dstate, 1]) }), RangeError, [
        fn,
        `'${arg}'`,
        '(batch=2, groups, dstate=3)',
        'got [2, 2, 3, 1]',
      ]);
    }
    expectError(() => step({ ...g(), C: t([batch, 4, dstate]) }), RangeError, [
      fn,
      "'C'",
      'same group count as B (2)',
      'got 4',
    ]);
    for (const opt of ['D', 'deltaBias'] as const) {
      const a = g();
      expectError(() => step({ ...a, options: { ...a.options, [opt]: t([dim - 1]) } }), RangeError, [
        fn,
        `'options.${opt}'`,
        '[4]',
        'got [3]',
      ]);
      expectError(() => step({ ...a, options: { ...a.options, [opt]: t([dim], 'bfloat16') } }), RangeError, [
        fn,
        `'options.${opt}'`,
        'float32',
        'got bfloat16',
      ]);
    }
    const a = g();
    expectError(() => step({ ...a, options: { ...a.options, z: t([batch, dim + 1]) } }), RangeError, [
      fn,
      "'options.z'",
      '[2, 4]',
      'got [2, 5]',
    ]);
    expectError(() => step({ ...a, options: { ...a.options, z: t([batch, dim], 'float16') } }), RangeError, [
      fn,
      "'options.z'",
      'float32',
      'got float16',
    ]);
  });

  it('devices: every tensor on x’s device; float64 and dstate limits on a GPU', () => {
    for (const arg of ['state', 'delta', 'A', 'B', 'C'] as const) {
      const a = stepGood();
      expectError(() => step({ ...a, [arg]: (a[arg] as Tensor).to('cuda') }), RangeError, [
        fn,
        `'${arg}'`,
        "on cpu like 'x'",
        'got cuda:0',
      ]);
    }
    for (const opt of ['D', 'z', 'deltaBias'] as const) {
      const a = stepGood();
      expectError(
        () => step({ ...a, options: { ...a.options, [opt]: (a.options[opt] as Tensor).to('cuda') } }),
        RangeError,
        [fn, `'options.${opt}'`, "on cpu like 'x'", 'got cuda:0'],
      );
    }
    const wide = (device: string): StepArgs => ({
      state: t([batch, dim, dstate], 'float64', device),
      x: t([batch, dim], 'float64', device),
      delta: t([batch, dim], 'float64', device),
      A: t([dim, dstate], 'float64', device),
      B: t([dim, dstate], 'float64', device),
      C: t([dim, dstate], 'float64', device),
    });
    expect(() => step(wide('cpu'))).not.toThrow();
    expectError(() => step(wide('cuda')), RangeError, [
      fn,
      "'x'",
      'float64 is CPU-only',
      'got float64 on cuda:0',
    ]);
    const n = MAX_GPU_DSTATE + 1;
    const big = (device: string): StepArgs => ({
      state: t([1, 2, n], 'float32', device),
      x: t([1, 2], 'float32', device),
      delta: t([1, 2], 'float32', device),
      A: t([2, n], 'float32', device),
      B: t([2, n], 'float32', device),
      C: t([2, n], 'float32', device),
    });
    expect(() => step(big('cpu'))).not.toThrow();
    expectError(() => step(big('cuda')), RangeError, [fn, "'A'", `at most ${MAX_GPU_DSTATE}`, `got ${n}`]);
  });
});
