/**
 * The decode step against the forward (itself checked against the float64 oracle): one step is
 * the forward with seqlen 1 bit for bit, and in float64 a run of steps is the whole forward.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BufferRef, SelectiveScanStepArgs } from '../../kernel_names';
import { selectiveScanCpu } from '../kernels/SelectiveScan';
import { selectiveScanStepCpu } from '../kernels/SelectiveScanStep';
import { cpuPool, setCpuThreadOptions } from '../thread_pool';
import {
  type CaseSpec,
  emptyBuffer,
  makeBuffer,
  makeCase,
  rawCopy,
  read,
  rng,
  type ScanCase,
  seedFromEnv,
} from './scan_test_utils';

const seed = seedFromEnv();
console.log(`SelectiveScanStep.test seed=${seed} (rerun with SSCAN_TEST_SEED=${seed})`);

const everything = {
  D: true,
  z: true,
  deltaBias: true,
  deltaSoftplus: true,
  initialState: true,
  lastState: true,
};

/** Copy of elements [t] along the last axis (seqlen) of a (..., seqlen) buffer, as (...). */
function column(ref: BufferRef, t: number): BufferRef {
  const seqlen = ref.shape[ref.shape.length - 1];
  const values = read(ref);
  const pairs = ref.dtype === 'complex64' || ref.dtype === 'complex128' ? 2 : 1;
  const shape = ref.shape.slice(0, -1);
  let k = 0;
  return makeBuffer(ref.dtype, shape, () => {
    const i = Math.floor(k / pairs);
    const part = k++ % pairs;
    return values[(i * seqlen + t) * pairs + part];
  }).ref;
}

function copyOf(ref: BufferRef): BufferRef {
  const values = read(ref);
  let i = 0;
  return makeBuffer(ref.dtype, ref.shape, () => values[i++]).ref;
}

/** Step args for token t of a forward case, with `state` as the state. */
function stepArgs(c: ScanCase, t: number, state: BufferRef): SelectiveScanStepArgs {
  const a = c.args;
  return {
    batch: a.batch,
    dim: a.dim,
    dstate: a.dstate,
    groups: a.groups,
    deltaSoftplus: a.deltaSoftplus,
    isComplex: a.isComplex,
    variableB: a.variableB,
    variableC: a.variableC,
    x: column(a.u, t),
    delta: column(a.delta, t),
    z: a.z ? column(a.z, t) : null,
    A: a.A,
    B: a.variableB ? column(a.B, t) : a.B,
    C: a.variableC ? column(a.C, t) : a.C,
    D: a.D,
    deltaBias: a.deltaBias,
    state,
    out: emptyBuffer(a.out.dtype, [a.batch, a.dim]),
  };
}

const bits = (ref: BufferRef) => new Uint8Array(rawCopy(ref).buffer);

describe('selectiveScanStepCpu', () => {
  const cases: [string, Partial<CaseSpec>][] = [];
  for (const dtype of ['float32', 'float64', 'float16', 'bfloat16'] as const) {
    for (const complex of [false, true]) {
      cases.push([
        `${dtype}${complex ? ' complex' : ''}, variable B/C, groups 2`,
        { dtype, complex, groups: 2 },
      ]);
    }
  }
  cases.push(['constant B, variable C', { variableB: false }]);
  cases.push(['complex, variable B, constant C', { complex: true, variableC: false }]);
  cases.push(['no options', { D: false, z: false, deltaBias: false, deltaSoftplus: false }]);

  for (const [index, [name, spec]] of cases.entries()) {
    it(`equals the forward with seqlen 1, bit for bit (${name})`, () => {
      const c = makeCase(
        { batch: 3, dim: 4, seqlen: 1, dstate: 5, ...everything, ...spec },
        rng(seed + index),
      );
      selectiveScanCpu(c.args);
      const step = stepArgs(c, 0, copyOf(c.args.initialState!));
      selectiveScanStepCpu(step);
      expect(Buffer.compare(bits(step.out), bits(c.args.out)), 'out').toBe(0);
      expect(Buffer.compare(bits(step.state), bits(c.args.lastState!)), 'state').toBe(0);
      expect(read(step.out).some((v) => v !== 0 && Number.isFinite(v))).toBe(true);
    });
  }

  for (const complex of [false, true]) {
    it(`float64: seqlen steps reproduce the whole forward${complex ? ' (complex)' : ''}`, () => {
      const L = 9;
      const c = makeCase(
        { batch: 2, dim: 4, seqlen: L, dstate: 3, dtype: 'float64', complex, ...everything },
        rng(seed + 50),
      );
      selectiveScanCpu(c.args);
      const want = read(c.args.out);
      const state = copyOf(c.args.initialState!);
      for (let t = 0; t < L; t++) {
        const step = stepArgs(c, t, state);
        selectiveScanStepCpu(step);
        const got = read(step.out);
        for (let r = 0; r < got.length; r++) expect(got[r], `token ${t}, row ${r}`).toBe(want[r * L + t]);
      }
      expect(Array.from(read(state))).toEqual(Array.from(read(c.args.lastState!)));
    });
  }

  describe('threads', () => {
    afterAll(async () => {
      setCpuThreadOptions({ threads: 1 });
      await cpuPool().close();
    });
    it('workers and the calling thread give bitwise-identical steps', () => {
      const c = makeCase(
        { batch: 16, dim: 512, seqlen: 1, dstate: 16, dtype: 'bfloat16', complex: true, ...everything },
        rng(seed + 60),
      );
      const one = stepArgs(c, 0, copyOf(c.args.initialState!));
      const prev = setCpuThreadOptions({ threads: 1 });
      try {
        selectiveScanStepCpu(one);
        setCpuThreadOptions({ threads: 2, minWorkPerThread: 0 });
        cpuPool().warmUp();
        for (let i = 0; i < 2; i++) {
          // Each run from the initial state again; the first also ships the kernel to the worker.
          const two = {
            ...one,
            state: copyOf(c.args.initialState!),
            out: emptyBuffer(one.out.dtype, one.out.shape),
          };
          selectiveScanStepCpu(two);
          expect(Buffer.compare(bits(two.out), bits(one.out))).toBe(0);
          expect(Buffer.compare(bits(two.state), bits(one.state))).toBe(0);
        }
        expect(cpuPool().lastWorkerUnits, 'units run by workers').toBeGreaterThan(0);
      } finally {
        setCpuThreadOptions(prev);
      }
    });
  });
});
