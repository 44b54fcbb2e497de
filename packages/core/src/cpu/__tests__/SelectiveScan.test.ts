/**
 * The CPU forward against the naive float64 oracle of scan_test_utils.ts, one case per feature,
 * plus the worker path against the calling-thread path, bit for bit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { BufferRef } from '../../kernel_names';
import { selectiveScanCpu } from '../kernels/SelectiveScan';
import { setScanChunkSteps } from '../kernels/scan_job';
import { cpuPool, setCpuThreadOptions } from '../thread_pool';
import {
  type CaseSpec,
  eps,
  firstMismatch,
  makeCase,
  oracleForward,
  rawCopy,
  read,
  rng,
  seedFromEnv,
  write,
} from './scan_test_utils';

const seed = seedFromEnv();
console.log(`SelectiveScan.test seed=${seed} (rerun with SSCAN_TEST_SEED=${seed})`);

/**
 * Output tolerance: the kernel and the oracle both compute in float64 (they differ by ~1e-15
 * relative), so what remains is the one rounding on store: half an ulp of the output dtype,
 * relative to |out|. The absolute term covers cancellation in Σ_n C·h (terms are O(1)).
 */
function check(spec: CaseSpec, salt: number) {
  const c = makeCase(spec, rng(seed + salt));
  selectiveScanCpu(c.args);
  const want = oracleForward(c);
  const dtype = c.spec.dtype;
  const outErr = firstMismatch(read(c.args.out), want.out, 1e-12 + 4 * eps(dtype) * 1e-3, 1.01 * eps(dtype));
  expect(outErr, `out ${JSON.stringify(spec)}`).toBeNull();
  if (c.args.lastState) {
    const stateType = c.args.lastState.dtype;
    const lastErr = firstMismatch(read(c.args.lastState), want.last, 1e-12, 1.01 * eps(stateType));
    expect(lastErr, `lastState ${JSON.stringify(spec)}`).toBeNull();
  }
}

const base = { batch: 2, dim: 6, seqlen: 13, dstate: 5 };
const everything = {
  D: true,
  z: true,
  deltaBias: true,
  deltaSoftplus: true,
  initialState: true,
  lastState: true,
};

describe('selectiveScanCpu matches the float64 oracle', () => {
  it('real, variable B and C, no options', () => check({ ...base }, 1));
  it('real, constant B, variable C', () => check({ ...base, variableB: false, lastState: true }, 2));
  it('real, variable B, constant C', () => check({ ...base, variableC: false, lastState: true }, 3));
  it('real, constant B and C', () =>
    check({ ...base, variableB: false, variableC: false, lastState: true }, 4));
  it('D only', () => check({ ...base, D: true }, 5));
  it('z gate only', () => check({ ...base, z: true }, 6));
  it('deltaBias + softplus', () => check({ ...base, deltaBias: true, deltaSoftplus: true }, 7));
  it('initialState and lastState', () => check({ ...base, initialState: true, lastState: true }, 8));
  it('groups: 3 groups over 6 channels', () => check({ ...base, groups: 3, ...everything }, 9));
  it('everything, float32', () => check({ ...base, ...everything }, 10));
  it('everything, float64', () => check({ ...base, dtype: 'float64', ...everything }, 11));
  it('everything, float16', () => check({ ...base, dtype: 'float16', ...everything }, 12));
  it('everything, bfloat16', () => check({ ...base, dtype: 'bfloat16', ...everything }, 13));
  it('dstate 1, seqlen 1', () => check({ batch: 1, dim: 3, seqlen: 1, dstate: 1, ...everything }, 14));
  it('complex, variable B and C', () => check({ ...base, complex: true, lastState: true }, 21));
  it('complex, constant B, variable C, groups 2', () =>
    check({ ...base, complex: true, variableB: false, groups: 2, ...everything }, 22));
  it('complex, variable B, constant C', () =>
    check({ ...base, complex: true, variableC: false, ...everything }, 23));
  it('complex, constant B and C, float64', () =>
    check(
      { ...base, complex: true, variableB: false, variableC: false, dtype: 'float64', ...everything },
      24,
    ));
  it('complex, float16 u with complex64 B/C', () =>
    check({ ...base, complex: true, dtype: 'float16', ...everything }, 25));
});

describe('softplus cut-off', () => {
  it('dt > 20 passes through, dt ≤ 20 is log1p(exp(dt))', () => {
    const c = makeCase(
      {
        batch: 1,
        dim: 1,
        seqlen: 4,
        dstate: 1,
        dtype: 'float64',
        variableB: false,
        variableC: false,
        deltaSoftplus: true,
      },
      rng(seed + 30),
    );
    // With A = 0, B = C = 1, u = 1: y_t = Σ_{s≤t} dt_s, so each dt can be read back by differencing.
    const raw = [20.5, 20, -3, 0.25];
    write(c.args.delta, raw);
    write(c.args.u, [1, 1, 1, 1]);
    write(c.args.A, [0]);
    write(c.args.B, [1]);
    write(c.args.C, [1]);
    selectiveScanCpu(c.args);
    const out = read(c.args.out);
    const dts = [out[0], out[1] - out[0], out[2] - out[1], out[3] - out[2]];
    expect(dts[0]).toBe(20.5);
    expect(dts[1]).toBeCloseTo(Math.log1p(Math.exp(20)), 12); // 20 is not past the cut-off
    expect(dts[1]).not.toBe(20);
    expect(dts[2]).toBeCloseTo(Math.log1p(Math.exp(-3)), 14);
    expect(dts[3]).toBeCloseTo(Math.log1p(Math.exp(0.25)), 14);
  });
});

describe('time chunks', () => {
  // A row longer than the chunk carries h from chunk to chunk; nothing else depends on the
  // chunking, so the output must be bit-identical to the one-chunk scan.
  for (const [name, spec] of [
    [
      'real, blocked and single states',
      { batch: 2, dim: 4, seqlen: 13, dstate: 5, groups: 2, ...everything },
    ],
    [
      'real, constant B and C, float16',
      {
        batch: 1,
        dim: 3,
        seqlen: 9,
        dstate: 4,
        variableB: false,
        variableC: false,
        dtype: 'float16',
        ...everything,
      },
    ],
    [
      'complex, bfloat16',
      { batch: 2, dim: 3, seqlen: 10, dstate: 3, complex: true, dtype: 'bfloat16', ...everything },
    ],
  ] as const) {
    for (const chunk of [1, 4]) {
      it(`chunks of ${chunk} give the one-chunk result bit for bit (${name})`, () => {
        const whole = makeCase(spec, rng(seed + 50));
        const chunked = makeCase(spec, rng(seed + 50));
        selectiveScanCpu(whole.args);
        const prev = setScanChunkSteps(chunk);
        try {
          selectiveScanCpu(chunked.args);
        } finally {
          setScanChunkSteps(prev);
        }
        expect(Buffer.compare(bits(chunked.args.out), bits(whole.args.out))).toBe(0);
        expect(Buffer.compare(bits(chunked.args.lastState!), bits(whole.args.lastState!))).toBe(0);
        expect(firstMismatch(read(whole.args.out), oracleForward(whole).out, 1e-6, 1e-2)).toBeNull(); // not vacuous
      });
    }
  }
});

const bits = (ref: BufferRef) => new Uint8Array(rawCopy(ref).buffer);

describe('threads', () => {
  afterAll(async () => {
    setCpuThreadOptions({ threads: 1 });
    await cpuPool().close();
  });

  for (const [name, spec] of [
    ['real float32', { batch: 3, dim: 40, seqlen: 1001, dstate: 8, groups: 4, ...everything }],
    [
      'complex bfloat16',
      { batch: 2, dim: 30, seqlen: 1001, dstate: 6, complex: true, dtype: 'bfloat16', ...everything },
    ],
  ] as const) {
    it(`workers and the calling thread give bitwise-identical results (${name})`, () => {
      const one = makeCase(spec, rng(seed + 40));
      const two = makeCase(spec, rng(seed + 40));
      const prev = setCpuThreadOptions({ threads: 1 });
      try {
        selectiveScanCpu(one.args);
        setCpuThreadOptions({ threads: 3, minWorkPerThread: 0 });
        cpuPool().warmUp();
        selectiveScanCpu(two.args); // the first job also ships the kernel source to the workers
        selectiveScanCpu(two.args);
        expect(cpuPool().lastWorkerUnits, 'units run by workers').toBeGreaterThan(0);
      } finally {
        setCpuThreadOptions(prev);
      }
      expect(rawCopy(two.args.out)).toEqual(rawCopy(one.args.out));
      expect(rawCopy(two.args.lastState!)).toEqual(rawCopy(one.args.lastState!));
      expect(Number.isNaN(read(one.args.out)[0])).toBe(false);
    });
  }
});
