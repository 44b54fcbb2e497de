/**
 * SelectiveScan, forward, pure TypeScript: the executable reference of the project (math in
 * DESIGN.md). Rows ((batch, channel) pairs) are independent; the thread pool splits them into
 * units of consecutive rows, and each row runs in time chunks, state-major inside a chunk, one
 * pass over t per block of states (scan_rows.ts).
 *
 * Precision: every input is widened to float64 and all arithmetic is float64; results are rounded
 * once, on store, to the output dtype. Each row's result depends only on that row's inputs, so
 * the output is bitwise the same for any thread count.
 *
 * `saved`: always null. The backward recomputes what it needs from the inputs (see
 * SelectiveScanBackward.ts), so there is nothing worth keeping.
 */
import type { SelectiveScanArgs, SelectiveScanResult } from '../../kernel_names';
import type { Claim } from '../thread_pool';
import { runParallel } from '../thread_pool';
import { optionalRealView, rowKind, scanJob, view } from './scan_job';
import type { NumArray, RowKind } from './scan_math';
import { type RealArray, type ScanJob, type ScanRowLib, scanRowLib } from './scan_rows';

export interface ForwardJob extends ScanJob {
  readonly out: NumArray;
  readonly outKind: RowKind;
  readonly lastState: RealArray | null;
  readonly rowsPerUnit: number;
}

/**
 * Worker-safe kernel (self-contained: see thread_pool.ts). For every claimed unit of rows:
 * out = (y + D·u)·silu(z) with y from scanRowY, and the last state.
 */
export function selectiveScanForwardKernel(job: ForwardJob, claim: Claim, lib: ScanRowLib): void {
  const L = job.seqlen;
  const rows = job.batch * job.dim;
  const s = lib.makeRowScratch(job.chunk, job.dstate, job.isComplex);
  const { h, u, y, tmp: z } = s;
  for (let unit = claim(); unit >= 0; unit = claim()) {
    const end = Math.min(rows, (unit + 1) * job.rowsPerUnit);
    for (let r = unit * job.rowsPerUnit; r < end; r++) {
      lib.loadInitialState(job, r, s);
      for (let t0 = 0; t0 < L; t0 += job.chunk) {
        const len = Math.min(job.chunk, L - t0);
        lib.prepareRow(job, r, t0, len, s, lib);
        lib.scanRowY(job, r, t0, len, s, lib);
        if (job.D) {
          const Dd = job.D[r % job.dim];
          for (let t = 0; t < len; t++) y[t] += Dd * u[t];
        }
        if (job.z) {
          lib.readRow(job.ioKind, job.z, r * L + t0, len, z, 0, job.tables);
          for (let t = 0; t < len; t++) y[t] *= lib.silu(z[t]);
        }
        lib.writeRow(job.outKind, y, 0, len, job.out, r * L + t0, s.f32, s.u32);
      }
      if (job.lastState) for (let i = 0; i < h.length; i++) job.lastState[r * h.length + i] = h[i];
    }
  }
}

/** Rows per unit: enough units (~32 per thread at 8 threads) to balance, few enough to be cheap. */
function rowsPerUnit(rows: number): number {
  return Math.max(1, Math.ceil(rows / 256));
}

export function selectiveScanCpu(args: SelectiveScanArgs): SelectiveScanResult {
  const rows = args.batch * args.dim;
  const job: ForwardJob = {
    ...scanJob(args),
    out: view(args.out),
    outKind: rowKind(args.out.dtype),
    lastState: optionalRealView(args.lastState),
    rowsPerUnit: rowsPerUnit(rows),
  };
  // Work in state updates; a complex update (exp, cos, sin) costs about three real ones.
  const work = rows * args.seqlen * args.dstate * (args.isComplex ? 3 : 1);
  runParallel(selectiveScanForwardKernel, job, Math.ceil(rows / job.rowsPerUnit), scanRowLib, work);
  return { saved: null };
}
