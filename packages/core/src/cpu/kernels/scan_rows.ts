/**
 * Row-level pieces shared by the forward and backward CPU kernels. A row is one (batch, channel)
 * pair: its seqlen inputs and outputs, and its dstate independent recurrences (A is diagonal).
 *
 * A row is processed in time chunks of `job.chunk` steps (all of it when seqlen ≤ chunk), and
 * inside a chunk state-major: for each state n (four at a time), one pass over t with h a scalar
 * (a complex pair) carried from chunk to chunk in s.h. Unlike time-major order (all n per t),
 * this keeps the recurrence in registers and reads variable B/C contiguously ((batch, groups,
 * dstate, seqlen) layout). Chunks bound the working memory per thread to O(chunk + dstate),
 * whatever seqlen: never a seqlen × dstate state tensor, nor even a seqlen-long row.
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
  /** Time steps per chunk (scan_job.ts SCAN_CHUNK, smaller in tests). */
  readonly chunk: number;
}

/** Per-thread working rows of one chunk (float64, chunk long; B/C rows twice that when complex). */
export interface RowScratch {
  /** The state at the start of the current chunk, dstate values (pairs when complex). */
  readonly h: Float64Array;
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
  /** Where the current B and C rows are, set by loadBC: row k of the block at off + k·stride. */
  bArr: NumArray;
  bOff: number;
  bStride: number;
  cArr: NumArray;
  cOff: number;
  cStride: number;
  /** One-element views for the bfloat16 encoder. */
  readonly f32: Float32Array;
  readonly u32: Uint32Array;
}

export function makeRowScratch(chunk: number, dstate: number, isComplex: boolean): RowScratch {
  const w = isComplex ? 2 : 1;
  const f32 = new Float32Array(1);
  const bRow = new Float64Array(4 * w * chunk); // a block of four states' rows
  const cRow = new Float64Array(4 * w * chunk);
  return {
    h: new Float64Array(w * dstate),
    u: new Float64Array(chunk),
    dtRaw: new Float64Array(chunk),
    dt: new Float64Array(chunk),
    dtu: new Float64Array(chunk),
    y: new Float64Array(chunk),
    tmp: new Float64Array(chunk),
    bRow,
    bOff: 0,
    bArr: bRow,
    bStride: 0,
    cRow,
    cArr: cRow,
    cOff: 0,
    cStride: 0,
    f32,
    u32: new Uint32Array(f32.buffer),
  };
}

/**
 * Loads steps [t0, t0 + len) of row r: u, dtRaw = delta + deltaBias, dt = softplus(dtRaw) (if
 * asked) and dtu = dt·u, at [0, len) of the scratch rows.
 */
export function prepareRow(
  job: ScanJob,
  r: number,
  t0: number,
  len: number,
  s: RowScratch,
  lib: ScanRowLib,
): void {
  const L = len;
  const { u, dtRaw, dt, dtu } = s;
  lib.readRow(job.ioKind, job.u, r * job.seqlen + t0, L, u, 0, job.tables);
  lib.readRow(job.ioKind, job.delta, r * job.seqlen + t0, L, dtRaw, 0, job.tables);
  const bias = job.deltaBias ? job.deltaBias[r % job.dim] : 0;
  const softplus = job.deltaSoftplus;
  for (let t = 0; t < L; t++) {
    const raw = dtRaw[t] + bias;
    // softplus of scan_math.ts, inlined: same expression, so the same bits as the decode step.
    const v =
      !softplus || raw > 20 ? raw : raw > 0 ? raw + Math.log1p(Math.exp(-raw)) : Math.log1p(Math.exp(raw));
    dtRaw[t] = raw;
    dt[t] = v;
    dtu[t] = v * u[t];
  }
}

/**
 * Points s.bArr/bOff/bStride (which = 0) or s.cArr/cOff/cStride (which = 1) at steps
 * [t0, t0 + len) of the B or C rows of states n .. n+count-1 for row r, row k starting at
 * off + k·stride (in array elements, two per complex value): the tensor itself when it can be
 * read as is (variable B/C rows of one group are consecutive, seqlen apart), else a decoded
 * (16-bit) or broadcast (constant B/C) copy in s.bRow/s.cRow, len apart. count ≤ 4.
 */
export function loadBC(
  job: ScanJob,
  which: 0 | 1,
  r: number,
  n: number,
  count: number,
  t0: number,
  len: number,
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
  let stride = w * len;
  const b = Math.floor(r / job.dim);
  const d = r - b * job.dim;
  if (variable) {
    const g = Math.floor(d / (job.dim / job.groups));
    const start = w * (((b * job.groups + g) * N + n) * L + t0);
    if (kind === 0) {
      arr = src;
      off = start;
      stride = w * L;
    } else {
      // 16-bit kinds are real (w = 1).
      for (let k = 0; k < count; k++) lib.readRow(kind, src, start + k * L, len, row, k * len, job.tables);
    }
  } else {
    for (let k = 0; k < count; k++) {
      const re = src[w * (d * N + n + k)];
      const im = w === 2 ? src[2 * (d * N + n + k) + 1] : 0;
      const base = k * w * len;
      if (w === 1) row.fill(re, base, base + len);
      else {
        for (let t = 0; t < len; t++) {
          row[base + 2 * t] = re;
          row[base + 2 * t + 1] = im;
        }
      }
    }
  }
  if (which === 0) {
    s.bArr = arr;
    s.bOff = off;
    s.bStride = stride;
  } else {
    s.cArr = arr;
    s.cOff = off;
    s.cStride = stride;
  }
}

/**
 * The recurrence of row r over all states for the chunk [t0, t0 + len) that prepareRow loaded,
 * from the states in s.h, which it leaves at the chunk's end: s.y = Σ_n C_t[n]·h_t[n] (complex:
 * 2·Re of it).
 *   real:    h = exp(dt·A)·h + dt·u·B
 *   complex: h = exp(dt·Re A)·(cos(dt·Im A) + i·sin(dt·Im A))·h + dt·u·B   (complex product)
 *
 * Real states go four at a time: four independent recurrences per pass over t let
 * the CPU overlap their exps and share the loads and stores of dt, dtu and y (1.3× faster than
 * one at a time). y then adds each block's four terms left to right, then the remaining states one
 * by one; the decode step sums in the same order, so the two agree bit for bit.
 */
export function scanRowY(
  job: ScanJob,
  r: number,
  t0: number,
  len: number,
  s: RowScratch,
  lib: ScanRowLib,
): void {
  const L = len;
  const N = job.dstate;
  const d = r % job.dim;
  const { dt, dtu, y, h } = s;
  y.fill(0, 0, L);
  if (job.isComplex) {
    lib.scanRowYComplex(job, r, t0, len, s, lib);
    return;
  }
  let n = 0;
  for (; n + 4 <= N; n += 4) {
    lib.loadBC(job, 0, r, n, 4, t0, len, s, lib);
    lib.loadBC(job, 1, r, n, 4, t0, len, s, lib);
    const { bArr, bOff, cArr, cOff } = s;
    const a0 = job.A[d * N + n];
    const a1 = job.A[d * N + n + 1];
    const a2 = job.A[d * N + n + 2];
    const a3 = job.A[d * N + n + 3];
    let h0 = h[n];
    let h1 = h[n + 1];
    let h2 = h[n + 2];
    let h3 = h[n + 3];
    const b1 = bOff + s.bStride;
    const b2 = bOff + 2 * s.bStride;
    const b3 = bOff + 3 * s.bStride;
    const c1 = cOff + s.cStride;
    const c2 = cOff + 2 * s.cStride;
    const c3 = cOff + 3 * s.cStride;
    for (let t = 0; t < L; t++) {
      const dtt = dt[t];
      const x = dtu[t];
      h0 = Math.exp(dtt * a0) * h0 + x * bArr[bOff + t];
      h1 = Math.exp(dtt * a1) * h1 + x * bArr[b1 + t];
      h2 = Math.exp(dtt * a2) * h2 + x * bArr[b2 + t];
      h3 = Math.exp(dtt * a3) * h3 + x * bArr[b3 + t];
      y[t] += cArr[cOff + t] * h0 + cArr[c1 + t] * h1 + cArr[c2 + t] * h2 + cArr[c3 + t] * h3;
    }
    h[n] = h0;
    h[n + 1] = h1;
    h[n + 2] = h2;
    h[n + 3] = h3;
  }
  for (; n < N; n++) {
    lib.loadBC(job, 0, r, n, 1, t0, len, s, lib);
    lib.loadBC(job, 1, r, n, 1, t0, len, s, lib);
    const { bArr, bOff, cArr, cOff } = s;
    const a = job.A[d * N + n];
    let hn = h[n];
    for (let t = 0; t < L; t++) {
      hn = Math.exp(dt[t] * a) * hn + dtu[t] * bArr[bOff + t];
      y[t] += cArr[cOff + t] * hn;
    }
    h[n] = hn;
  }
}

/** scanRowY for complex A (one state at a time: its exp, cos and sin already give the CPU enough to overlap). */
export function scanRowYComplex(
  job: ScanJob,
  r: number,
  t0: number,
  len: number,
  s: RowScratch,
  lib: ScanRowLib,
): void {
  const L = len;
  const N = job.dstate;
  const d = r % job.dim;
  const { dt, dtu, y, h } = s;
  for (let n = 0; n < N; n++) {
    lib.loadBC(job, 0, r, n, 1, t0, len, s, lib);
    lib.loadBC(job, 1, r, n, 1, t0, len, s, lib);
    const { bArr, bOff, cArr, cOff } = s;
    const ar = job.A[2 * (d * N + n)];
    const ai = job.A[2 * (d * N + n) + 1];
    let hr = h[2 * n];
    let hi = h[2 * n + 1];
    for (let t = 0; t < L; t++) {
      const m = Math.exp(dt[t] * ar);
      const er = m * Math.cos(dt[t] * ai);
      const ei = m * Math.sin(dt[t] * ai);
      const j = bOff + 2 * t;
      const k = cOff + 2 * t;
      const nr = er * hr - ei * hi + dtu[t] * bArr[j];
      hi = er * hi + ei * hr + dtu[t] * bArr[j + 1];
      hr = nr;
      y[t] += cArr[k] * hr - cArr[k + 1] * hi; // Re(C·h)
    }
    h[2 * n] = hr;
    h[2 * n + 1] = hi;
  }
  for (let t = 0; t < L; t++) y[t] *= 2;
}

/** s.h = the initial state of row r (zeros without one). */
export function loadInitialState(job: ScanJob, r: number, s: RowScratch): void {
  const size = s.h.length; // dstate, or 2·dstate when complex
  const init = job.initialState;
  for (let i = 0; i < size; i++) s.h[i] = init ? init[r * size + i] : 0;
}

/** scan_math's helpers plus the row routines above, as shipped to workers. */
export const scanRowLib = {
  ...scanMathLib,
  makeRowScratch,
  prepareRow,
  loadBC,
  scanRowY,
  scanRowYComplex,
  loadInitialState,
} as const;

export type ScanRowLib = typeof scanRowLib;
