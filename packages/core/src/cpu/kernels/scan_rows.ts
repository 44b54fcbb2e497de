/**
 * Row-level pieces shared by the forward and backward CPU kernels. A row is one (batch, channel)
 * pair: its seqlen inputs and outputs, and its dstate independent recurrences (A is diagonal).
 *
 * The scan runs state-major inside a row: for each state n, one pass over t with h a scalar
 * (a complex pair). Compared with time-major (all n per t) that keeps the recurrence in
 * registers, reads variable B/C contiguously ((batch, groups, dstate, seqlen) layout), and needs
 * only O(seqlen) working memory per thread: never a seqlen × dstate state tensor.
 *
 * Like scan_math.ts, every function is self-contained and shipped to the pool's workers as
 * source; helpers are reached through the `lib` argument only (an import would not exist in
 * the worker). `scanRowLib` is scan_math's library plus these.
 */
import { type HalfTables, type NumArray, type RowKind, scanMathLib } from './scan_math';

export type RealArray = Float32Array | Float64Array;

/** What every scan kernel reads. Arrays are views of the tensors (SharedArrayBuffers). */
export interface ScanJob {
  readonly batch: number;
  readonly dim: number;
  readonly seqlen: number;
  readonly dstate: number;
  readonly groups: number;
  readonly isComplex: boolean;
  readonly variableB: boolean;
  readonly variableC: boolean;
  readonly deltaSoftplus: boolean;
  /** Kind of u, delta, z, out and their gradients (they share one dtype). */
  readonly ioKind: RowKind;
  /** Kind of B and C (16-bit only when variable and real). */
  readonly bKind: RowKind;
  readonly cKind: RowKind;
  readonly u: NumArray;
  readonly delta: NumArray;
  readonly z: NumArray | null;
  /** Interleaved (re, im) when complex, as are B, C and the states. */
  readonly A: RealArray;
  readonly B: NumArray;
  readonly C: NumArray;
  readonly D: RealArray | null;
  readonly deltaBias: RealArray | null;
  readonly initialState: RealArray | null;
  readonly tables: HalfTables;
}

/** Per-thread working rows (float64, seqlen long; B/C rows twice that when complex). */
export interface RowScratch {
  readonly u: Float64Array;
  /** Raw delta (+ bias), before the softplus: the backward needs it. */
  readonly dtRaw: Float64Array;
  readonly dt: Float64Array;
  /** dt·u: the input term of the recurrence is dtu·B. */
  readonly dtu: Float64Array;
  /** y = Σ_n C·h (real part ×2 when complex), before D and the gate. */
  readonly y: Float64Array;
  /** A spare row (z, gradOut, ...). */
  readonly tmp: Float64Array;
  readonly bRow: Float64Array;
  readonly cRow: Float64Array;
  /** Where the current B and C rows are: (array, offset) set by loadB/loadC. */
  bArr: NumArray;
  bOff: number;
  cArr: NumArray;
  cOff: number;
  /** One-element views for the bfloat16 encoder. */
  readonly f32: Float32Array;
  readonly u32: Uint32Array;
}

export function makeRowScratch(seqlen: number, isComplex: boolean): RowScratch {
  const w = isComplex ? 2 : 1;
  const f32 = new Float32Array(1);
  const bRow = new Float64Array(w * seqlen);
  const cRow = new Float64Array(w * seqlen);
  return {
    u: new Float64Array(seqlen),
    dtRaw: new Float64Array(seqlen),
    dt: new Float64Array(seqlen),
    dtu: new Float64Array(seqlen),
    y: new Float64Array(seqlen),
    tmp: new Float64Array(seqlen),
    bRow,
    bOff: 0,
    bArr: bRow,
    cRow,
    cArr: cRow,
    cOff: 0,
    f32,
    u32: new Uint32Array(f32.buffer),
  };
}

/** Loads u, dtRaw = delta + deltaBias, dt = softplus(dtRaw) (if asked) and dtu = dt·u of row r. */
export function prepareRow(job: ScanJob, r: number, s: RowScratch, lib: ScanRowLib): void {
  const L = job.seqlen;
  const d = r % job.dim;
  lib.readRow(job.ioKind, job.u, r * L, L, s.u, 0, job.tables);
  lib.readRow(job.ioKind, job.delta, r * L, L, s.dtRaw, 0, job.tables);
  const bias = job.deltaBias ? job.deltaBias[d] : 0;
  for (let t = 0; t < L; t++) {
    const raw = s.dtRaw[t] + bias;
    const dt = job.deltaSoftplus ? lib.softplus(raw) : raw;
    s.dtRaw[t] = raw;
    s.dt[t] = dt;
    s.dtu[t] = dt * s.u[t];
  }
}

/**
 * Points s.bArr/s.bOff (which = 0) or s.cArr/s.cOff (which = 1) at the B or C row of state n
 * for row r: the tensor itself when it can be read as is, else a decoded (16-bit) or broadcast
 * (constant B/C) copy in s.bRow/s.cRow. Offsets count array elements (two per complex value).
 */
export function loadBC(
  job: ScanJob,
  which: 0 | 1,
  r: number,
  n: number,
  s: RowScratch,
  lib: ScanRowLib,
): void {
  const L = job.seqlen;
  const N = job.dstate;
  const w = job.isComplex ? 2 : 1;
  const src = which === 0 ? job.B : job.C;
  const kind = which === 0 ? job.bKind : job.cKind;
  const row = which === 0 ? s.bRow : s.cRow;
  const variable = which === 0 ? job.variableB : job.variableC;
  let arr: NumArray = row;
  let off = 0;
  const b = Math.floor(r / job.dim);
  const d = r - b * job.dim;
  if (variable) {
    const g = Math.floor(d / (job.dim / job.groups));
    const start = w * (((b * job.groups + g) * N + n) * L);
    if (kind === 0) {
      arr = src;
      off = start;
    } else {
      lib.readRow(kind, src, start, L, row, 0, job.tables);
    }
  } else if (w === 1) {
    row.fill(src[d * N + n], 0, L);
  } else {
    const re = src[2 * (d * N + n)];
    const im = src[2 * (d * N + n) + 1];
    for (let t = 0; t < L; t++) {
      row[2 * t] = re;
      row[2 * t + 1] = im;
    }
  }
  if (which === 0) {
    s.bArr = arr;
    s.bOff = off;
  } else {
    s.cArr = arr;
    s.cOff = off;
  }
}

/**
 * The recurrence of row r over all states: s.y = Σ_n C_t[n]·h_t[n] (complex: 2·Re of it), and
 * h_seqlen into `last` (same layout as initialState) when given. Needs prepareRow(r) first.
 *   real:    h = exp(dt·A)·h + dt·u·B
 *   complex: h = exp(dt·Re A)·(cos(dt·Im A) + i·sin(dt·Im A))·h + dt·u·B   (complex product)
 */
export function scanRowY(
  job: ScanJob,
  r: number,
  s: RowScratch,
  last: RealArray | null,
  lib: ScanRowLib,
): void {
  const L = job.seqlen;
  const N = job.dstate;
  const d = r % job.dim;
  const init = job.initialState;
  const { dt, dtu, y } = s;
  y.fill(0);
  for (let n = 0; n < N; n++) {
    lib.loadBC(job, 0, r, n, s, lib);
    lib.loadBC(job, 1, r, n, s, lib);
    const { bArr, bOff, cArr, cOff } = s;
    if (!job.isComplex) {
      const a = job.A[d * N + n];
      let h = init ? init[r * N + n] : 0;
      for (let t = 0; t < L; t++) {
        h = Math.exp(dt[t] * a) * h + dtu[t] * bArr[bOff + t];
        y[t] += cArr[cOff + t] * h;
      }
      if (last) last[r * N + n] = h;
    } else {
      const ar = job.A[2 * (d * N + n)];
      const ai = job.A[2 * (d * N + n) + 1];
      let hr = init ? init[2 * (r * N + n)] : 0;
      let hi = init ? init[2 * (r * N + n) + 1] : 0;
      for (let t = 0; t < L; t++) {
        const m = Math.exp(dt[t] * ar);
        const er = m * Math.cos(dt[t] * ai);
        const ei = m * Math.sin(dt[t] * ai);
        const j = bOff + 2 * t;
        const k = cOff + 2 * t;
        const nr = er * hr - ei * hi + dtu[t] * bArr[j];
        hi = er * hi + ei * hr + dtu[t] * bArr[j + 1];
        hr = nr;
        y[t] += cArr[k] * hr - cArr[k + 1] * hi; // Re(C·h); doubled below
      }
      if (last) {
        last[2 * (r * N + n)] = hr;
        last[2 * (r * N + n) + 1] = hi;
      }
    }
  }
  if (job.isComplex) for (let t = 0; t < L; t++) y[t] *= 2;
}

/** scan_math's helpers plus the row routines above, as shipped to workers. */
export const scanRowLib = {
  ...scanMathLib,
  makeRowScratch,
  prepareRow,
  loadBC,
  scanRowY,
} as const;

export type ScanRowLib = typeof scanRowLib;
