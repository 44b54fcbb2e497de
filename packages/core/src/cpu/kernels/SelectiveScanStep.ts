/**
 * SelectiveScanStep, pure TypeScript: one decode token for every (batch, channel), the state
 * updated in place. The same expressions as the forward with seqlen 1 (scan_rows.ts), so a step
 * equals selectiveScan(seqlen 1, initialState = state, lastState → state) bit for bit; the tests
 * hold them to that.
 */
import type { SelectiveScanStepArgs } from '../../kernel_names';
import type { Claim } from '../thread_pool';
import { runParallel } from '../thread_pool';
import { halfTables, optionalRealView, realView, rowKind, view } from './scan_job';
import { type HalfTables, type NumArray, type RowKind, type ScanMathLib, scanMathLib } from './scan_math';
import type { RealArray } from './scan_rows';

export interface StepJob {
  readonly batch: number;
  readonly dim: number;
  readonly dstate: number;
  readonly groups: number;
  readonly isComplex: boolean;
  readonly variableB: boolean;
  readonly variableC: boolean;
  readonly deltaSoftplus: boolean;
  /** Kind of x, delta, z, out; of B and C. */
  readonly ioKind: RowKind;
  readonly bKind: RowKind;
  readonly cKind: RowKind;
  readonly x: NumArray;
  readonly delta: NumArray;
  readonly z: NumArray | null;
  readonly A: RealArray;
  readonly B: NumArray;
  readonly C: NumArray;
  readonly D: RealArray | null;
  readonly deltaBias: RealArray | null;
  readonly state: RealArray;
  readonly out: NumArray;
  readonly rowsPerUnit: number;
  readonly tables: HalfTables;
}

/** Worker-safe kernel (self-contained: see thread_pool.ts). Units are runs of rows. */
export function selectiveScanStepKernel(job: StepJob, claim: Claim, lib: ScanMathLib): void {
  const N = job.dstate;
  const rows = job.batch * job.dim;
  const perGroup = job.dim / job.groups;
  const { tables, state } = job;
  const decode = (kind: RowKind, arr: NumArray, i: number) =>
    kind === 0 ? arr[i] : kind === 1 ? tables.f16[arr[i]] : tables.bf16[arr[i]];
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let unit = claim(); unit >= 0; unit = claim()) {
    const end = Math.min(rows, (unit + 1) * job.rowsPerUnit);
    for (let r = unit * job.rowsPerUnit; r < end; r++) {
      const b = Math.floor(r / job.dim);
      const d = r - b * job.dim;
      const bc = (b * job.groups + Math.floor(d / perGroup)) * N; // first (b, group, n = 0) of B/C
      const x = decode(job.ioKind, job.x, r);
      const raw = decode(job.ioKind, job.delta, r) + (job.deltaBias ? job.deltaBias[d] : 0);
      const dt = job.deltaSoftplus ? lib.softplus(raw) : raw;
      const dtu = dt * x;
      let y = 0;
      if (!job.isComplex) {
        // h_n in place, returning C_n·h_n. Summed as the forward sums (scanRowY): each block of
        // four states left to right, then the rest one by one, so a step is bit-identical to it.
        const term = (n: number): number => {
          const Bn = job.variableB ? decode(job.bKind, job.B, bc + n) : job.B[d * N + n];
          const Cn = job.variableC ? decode(job.cKind, job.C, bc + n) : job.C[d * N + n];
          const h = Math.exp(dt * job.A[d * N + n]) * state[r * N + n] + dtu * Bn;
          state[r * N + n] = h;
          return Cn * h;
        };
        let n = 0;
        for (; n + 4 <= N; n += 4) y += term(n) + term(n + 1) + term(n + 2) + term(n + 3);
        for (; n < N; n++) y += term(n);
      } else {
        for (let n = 0; n < N; n++) {
          const s = r * N + n;
          const ib = 2 * (job.variableB ? bc + n : d * N + n);
          const ic = 2 * (job.variableC ? bc + n : d * N + n);
          const m = Math.exp(dt * job.A[2 * (d * N + n)]);
          const er = m * Math.cos(dt * job.A[2 * (d * N + n) + 1]);
          const ei = m * Math.sin(dt * job.A[2 * (d * N + n) + 1]);
          const hr0 = state[2 * s];
          const hi0 = state[2 * s + 1];
          const hr = er * hr0 - ei * hi0 + dtu * job.B[ib];
          const hi = er * hi0 + ei * hr0 + dtu * job.B[ib + 1];
          state[2 * s] = hr;
          state[2 * s + 1] = hi;
          y += job.C[ic] * hr - job.C[ic + 1] * hi;
        }
      }
      if (job.isComplex) y *= 2;
      if (job.D) y += job.D[d] * x;
      if (job.z) y *= lib.silu(decode(job.ioKind, job.z, r));
      job.out[r] =
        job.ioKind === 0 ? y : job.ioKind === 1 ? lib.encodeFloat16(y) : lib.encodeBFloat16(y, f32, u32);
    }
  }
}

export function selectiveScanStepCpu(args: SelectiveScanStepArgs): void {
  const rows = args.batch * args.dim;
  const job: StepJob = {
    batch: args.batch,
    dim: args.dim,
    dstate: args.dstate,
    groups: args.groups,
    isComplex: args.isComplex,
    variableB: args.variableB,
    variableC: args.variableC,
    deltaSoftplus: args.deltaSoftplus,
    ioKind: rowKind(args.x.dtype),
    bKind: rowKind(args.B.dtype),
    cKind: rowKind(args.C.dtype),
    x: view(args.x),
    delta: view(args.delta),
    z: args.z ? view(args.z) : null,
    A: realView(args.A),
    B: view(args.B),
    C: view(args.C),
    D: optionalRealView(args.D),
    deltaBias: optionalRealView(args.deltaBias),
    state: realView(args.state),
    out: view(args.out),
    rowsPerUnit: Math.max(1, Math.ceil(rows / 64)),
    tables: halfTables(),
  };
  const work = rows * args.dstate * (args.isComplex ? 3 : 1);
  runParallel(selectiveScanStepKernel, job, Math.ceil(rows / job.rowsPerUnit), scanMathLib, work);
}
