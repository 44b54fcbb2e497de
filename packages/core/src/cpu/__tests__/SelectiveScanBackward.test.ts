/**
 * The CPU backward against central finite differences of the CPU forward, in float64, for every
 * gradient (complex ones component by component: PyTorch's dL/dRe + i·dL/dIm is exactly the pair
 * of real partial derivatives). Then the 16-bit/float32 storage paths against the float64 kernel,
 * and the worker path against the calling thread, bit for bit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BufferRef, SelectiveScanBackwardArgs } from '../../kernel_names';
import { selectiveScanCpu } from '../kernels/SelectiveScan';
import { selectiveScanBackwardCpu } from '../kernels/SelectiveScanBackward';
import { setScanChunkSteps } from '../kernels/scan_job';
import { cpuPool, setCpuThreadOptions } from '../thread_pool';
import {
  type CaseSpec,
  emptyBuffer,
  eps,
  firstMismatch,
  makeBuffer,
  makeCase,
  rawCopy,
  read,
  rng,
  type ScanCase,
  seedFromEnv,
  write,
} from './scan_test_utils';

const seed = seedFromEnv();
console.log(`SelectiveScanBackward.test seed=${seed} (rerun with SSCAN_TEST_SEED=${seed})`);

type GradName = 'du' | 'ddelta' | 'dA' | 'dB' | 'dC' | 'dD' | 'dz' | 'dDeltaBias' | 'dInitialState';
const INPUT_OF: Record<GradName, keyof ScanCase['args']> = {
  du: 'u',
  ddelta: 'delta',
  dA: 'A',
  dB: 'B',
  dC: 'C',
  dD: 'D',
  dz: 'z',
  dDeltaBias: 'deltaBias',
  dInitialState: 'initialState',
};

/** Backward args for loss = Σ out·W + Σ lastState·V, with random W and V (gradOut, gradLastState). */
function backwardArgs(c: ScanCase, rand: () => number): SelectiveScanBackwardArgs {
  const a = c.args;
  const like = (ref: BufferRef | null) => (ref ? emptyBuffer(ref.dtype, ref.shape) : null);
  const sym = () => 2 * rand() - 1;
  return {
    ...a,
    saved: null,
    gradOut: makeBuffer(a.out.dtype, a.out.shape, sym).ref,
    gradLastState: a.lastState ? makeBuffer(a.lastState.dtype, a.lastState.shape, sym).ref : null,
    du: like(a.u)!,
    ddelta: like(a.delta)!,
    dA: like(a.A)!,
    dB: like(a.B)!,
    dC: like(a.C)!,
    dD: like(a.D),
    dz: like(a.z),
    dDeltaBias: like(a.deltaBias),
    dInitialState: like(a.initialState),
    deterministic: true,
  };
}

function loss(c: ScanCase, g: SelectiveScanBackwardArgs): number {
  selectiveScanCpu(c.args);
  const out = read(c.args.out);
  const W = read(g.gradOut);
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] * W[i];
  if (c.args.lastState && g.gradLastState) {
    const last = read(c.args.lastState);
    const V = read(g.gradLastState);
    for (let i = 0; i < last.length; i++) sum += last[i] * V[i];
  }
  return sum;
}

/**
 * Every gradient against (L(x + h) − L(x − h)) / 2h. Float64 throughout: truncation error is
 * O(h²) ≈ 1e-10 and cancellation ≈ 1e-16/h ≈ 1e-11, so 1e-7 absolute + 1e-6 relative is loose for
 * a right gradient and far too tight for a wrong one (those are off by O(1)).
 */
function finiteDifferenceCheck(spec: CaseSpec, salt: number) {
  const rand = rng(seed + salt);
  const c = makeCase({ ...spec, dtype: 'float64', lastState: true }, rand);
  const g = backwardArgs(c, rand);
  selectiveScanBackwardCpu(g);
  const h = 1e-5;
  for (const name of Object.keys(INPUT_OF) as GradName[]) {
    const gradRef = g[name] as BufferRef | null;
    const inputRef = c.args[INPUT_OF[name]] as BufferRef | null;
    expect(gradRef === null, `${name} present iff its input is`).toBe(inputRef === null);
    if (!gradRef || !inputRef) continue;
    const analytic = read(gradRef);
    const x = read(inputRef);
    const numeric = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i];
      x[i] = keep + h;
      write(inputRef, x);
      const plus = loss(c, g);
      x[i] = keep - h;
      write(inputRef, x);
      const minus = loss(c, g);
      x[i] = keep;
      write(inputRef, x);
      numeric[i] = (plus - minus) / (2 * h);
    }
    expect(firstMismatch(analytic, numeric, 1e-7, 1e-6), `${name} ${JSON.stringify(spec)}`).toBeNull();
    // Guard against a vacuous pass: the loss does depend on every input. 1e-6, far above the
    // differences' float64 noise (~1e-10): with seqlen 1 and two channels a real dA gradient
    // was drawn below 1e-3 (CI, 2026-11-30).
    expect(
      numeric.some((v) => Math.abs(v) > 1e-6),
      `${name} has a non-trivial gradient`,
    ).toBe(true);
  }
}

// dstate 5: one block of four states (backwardBlockReal) and one on its own (backwardStateReal).
const small = { batch: 2, dim: 4, seqlen: 6, dstate: 5 };
const everything = { D: true, z: true, deltaBias: true, deltaSoftplus: true, initialState: true };

describe('selectiveScanBackwardCpu matches finite differences (float64)', () => {
  it('real, variable B and C, groups 2, every option', () =>
    finiteDifferenceCheck({ ...small, groups: 2, ...everything }, 1));
  it('real, constant B and C, every option', () =>
    finiteDifferenceCheck({ ...small, variableB: false, variableC: false, ...everything }, 2));
  it('real, constant B, variable C, no options', () =>
    finiteDifferenceCheck({ ...small, variableB: false }, 3));
  it('real, variable B, constant C, z without D', () =>
    finiteDifferenceCheck({ ...small, variableC: false, z: true }, 4));
  it('complex, variable B and C, every option', () =>
    finiteDifferenceCheck({ ...small, complex: true, groups: 2, ...everything }, 5));
  it('complex, constant B and C, every option', () =>
    finiteDifferenceCheck({ ...small, complex: true, variableB: false, variableC: false, ...everything }, 6));
  it('complex, constant B, variable C, no options', () =>
    finiteDifferenceCheck({ ...small, complex: true, variableB: false }, 7));
  it('seqlen 1, dstate 1', () =>
    finiteDifferenceCheck({ batch: 1, dim: 2, seqlen: 1, dstate: 1, ...everything }, 8));
});

describe('time chunks (rows longer than a chunk: checkpoints, λ carried across chunks)', () => {
  const chunked = (spec: CaseSpec, salt: number) => () => {
    const prev = setScanChunkSteps(4);
    try {
      finiteDifferenceCheck(spec, salt);
    } finally {
      setScanChunkSteps(prev);
    }
  };
  const long = { batch: 2, dim: 4, seqlen: 11, dstate: 5 };
  it('real, variable B and C, every option, chunks of 4', chunked({ ...long, groups: 2, ...everything }, 40));
  it(
    'real, constant B and C, every option, chunks of 4',
    chunked({ ...long, variableB: false, variableC: false, ...everything }, 41),
  );
  it(
    'complex, variable B, constant C, every option, chunks of 4',
    chunked({ ...long, complex: true, variableC: false, ...everything }, 42),
  );
});

/** The same case stored in float64: what the narrower kernel must approximate. */
function widened(c: ScanCase): ScanCase {
  const wide = (ref: BufferRef | null): BufferRef | null => {
    if (!ref) return null;
    const dtype =
      ref.dtype === 'complex64' ? 'complex128' : ref.dtype === 'complex128' ? 'complex128' : 'float64';
    const values = read(ref);
    let i = 0;
    return makeBuffer(dtype, ref.shape, () => values[i++]).ref;
  };
  const a = c.args;
  return {
    ...c,
    spec: { ...c.spec, dtype: 'float64' },
    args: {
      ...a,
      u: wide(a.u)!,
      delta: wide(a.delta)!,
      A: wide(a.A)!,
      B: wide(a.B)!,
      C: wide(a.C)!,
      D: wide(a.D),
      z: wide(a.z),
      deltaBias: wide(a.deltaBias),
      initialState: wide(a.initialState),
      out: wide(a.out)!,
      lastState: wide(a.lastState),
    },
  };
}

describe('storage dtypes', () => {
  for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
    for (const complex of [false, true]) {
      it(`${dtype}${complex ? ', complex' : ''}: gradients are the float64 ones rounded once`, () => {
        const rand = rng(seed + 20 + (complex ? 1 : 0));
        const narrow = makeCase(
          { batch: 2, dim: 20, seqlen: 9, dstate: 5, dtype, complex, lastState: true, ...everything },
          rand,
        );
        const ga = backwardArgs(narrow, rand);
        const wide = widened(narrow);
        const gw = backwardArgs(wide, rng(0));
        write(gw.gradOut, read(ga.gradOut));
        write(gw.gradLastState!, read(ga.gradLastState!));
        selectiveScanBackwardCpu(ga);
        selectiveScanBackwardCpu(gw);
        for (const name of Object.keys(INPUT_OF) as GradName[]) {
          const got = read(ga[name] as BufferRef);
          const want = read(gw[name] as BufferRef);
          // One rounding to the gradient's own dtype (16-bit for du, ddelta, dz, variable dB/dC):
          // half an ulp, and below 2^-14 half the float16 subnormal spacing 2^-24.
          const gradType = (ga[name] as BufferRef).dtype;
          const abs = gradType === 'float16' ? 1.01 * 2 ** -25 : 1e-12;
          expect(
            firstMismatch(got, want, abs, 1.01 * eps(gradType)),
            `${name} (${(ga[name] as BufferRef).dtype})`,
          ).toBeNull();
        }
      });
    }
  }
});

describe('threads', () => {
  afterAll(async () => {
    setCpuThreadOptions({ threads: 1 });
    await cpuPool().close();
  });

  for (const complex of [false, true]) {
    it(`workers and the calling thread give bitwise-identical gradients${complex ? ' (complex)' : ''}`, () => {
      // 20 channels per group → 7 slices of 3: several units per (batch, group), reduced in order.
      const spec = {
        batch: 2,
        dim: 40,
        seqlen: 700,
        dstate: 6,
        groups: 2,
        complex,
        dtype: 'float32',
        lastState: true,
        ...everything,
      } as const;
      const runs = [1, 3].map((threads) => {
        const rand = rng(seed + 30);
        const c = makeCase(spec, rand);
        const g = backwardArgs(c, rand);
        const prev = setCpuThreadOptions({ threads, minWorkPerThread: 0 });
        try {
          if (threads > 1) {
            cpuPool().warmUp();
            selectiveScanBackwardCpu(g); // ships the kernel
          }
          selectiveScanBackwardCpu(g);
          if (threads > 1) expect(cpuPool().lastWorkerUnits, 'units run by workers').toBeGreaterThan(0);
        } finally {
          setCpuThreadOptions(prev);
        }
        return (Object.keys(INPUT_OF) as GradName[]).map((n) => rawCopy(g[n] as BufferRef));
      });
      for (let i = 0; i < runs[0].length; i++)
        expect(Buffer.compare(new Uint8Array(runs[0][i].buffer), new Uint8Array(runs[1][i].buffer))).toBe(0);
    });
  }
});
