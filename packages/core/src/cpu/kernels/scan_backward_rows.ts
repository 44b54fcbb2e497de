/**
 * The reverse pass of one row, state by state (shipped to workers like scan_rows.ts: self-contained,
 * helpers through `lib`).
 *
 * Memory stays O(seqlen) per thread: for state n the row's forward recurrence is recomputed into
 * `hs` (h_0..h_L) and `ea` (a_t = exp(dt_t·A)), then swept backwards. One state at a time means
 * the row never holds seqlen × dstate values, and each a_t costs one exp, as in the forward.
 *
 * With λ_t = dL/dh_t (PyTorch's convention for complex: dL/dRe + i·dL/dIm) and dy_t = dL/dy_t:
 *   λ_L     = gradLastState
 *   λ_t    += dy_t·C_t                       (complex: 2·dy_t·conj(C_t), as y = 2·Re Σ C·h)
 *   dC_t    = dy_t·h_t                       (complex: 2·dy_t·conj(h_t))
 *   dB_t    = λ_t·dt_t·u_t
 *   du_t   += dt_t·Re(λ_t·conj(B_t))
 *   d dt_t += Re(λ_t·conj(A·a_t·h_{t-1} + B_t·u_t))
 *   dA     += dt_t·λ_t·conj(a_t·h_{t-1})
 *   λ_{t-1} = conj(a_t)·λ_t                  (and dh_0 = λ_0)
 * The same sweep accumulates y = Σ_n C·h for the gate's gradient (state by state, so its last bits
 * may differ from the forward's blocked sum; dz does not need more).
 */
import type { NumArray } from './scan_math';
import { type RealArray, type RowScratch, type ScanJob, scanRowLib } from './scan_rows';

export interface BackwardJob extends ScanJob {
  readonly gradOut: NumArray;
  readonly gradLastState: RealArray | null;
  readonly du: NumArray;
  readonly ddelta: NumArray;
  readonly dz: NumArray | null;
  readonly dInitialState: RealArray | null;
  /** Per-row partial sums, float64, reduced over batch by the caller: (rows, dstate) ×2 if complex. */
  readonly partA: Float64Array;
  readonly partB: Float64Array | null; // constant B only
  readonly partC: Float64Array | null; // constant C only
  readonly partD: Float64Array | null; // (rows)
  readonly partBias: Float64Array | null; // (rows)
  /** Variable dB/dC per slice: (batch, groups, slices, dstate, seqlen) ×2 if complex. */
  readonly sliceB: Float64Array | null;
  readonly sliceC: Float64Array | null;
  readonly slices: number;
  /** Channels per slice (the last slice of a group may have fewer). */
  readonly sliceChannels: number;
}

/** Per-thread rows of the backward, beside RowScratch. */
export interface BackScratch {
  /** h_0..h_L of the current state (pairs when complex). */
  readonly hs: Float64Array;
  /** a_1..a_L of the current state (pairs when complex). */
  readonly ea: Float64Array;
  /** gradOut of the row, as read. */
  readonly g: Float64Array;
  /** dL/dy, the gradient reaching y (through the gate). */
  readonly dy: Float64Array;
  readonly du: Float64Array;
  readonly ddt: Float64Array;
}

export function makeBackScratch(seqlen: number, isComplex: boolean): BackScratch {
  const w = isComplex ? 2 : 1;
  return {
    hs: new Float64Array(w * (seqlen + 1)),
    ea: new Float64Array(w * seqlen),
    g: new Float64Array(seqlen),
    dy: new Float64Array(seqlen),
    du: new Float64Array(seqlen),
    ddt: new Float64Array(seqlen),
  };
}

/**
 * Every state of row r (real A): adds to bs.du, bs.ddt and s.y; writes the row's partials and
 * dInitialState. `sliceOff`: start of this row's (batch, group, slice) block in sliceB/sliceC.
 */
export function backwardStatesReal(
  job: BackwardJob,
  r: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  const L = job.seqlen;
  const N = job.dstate;
  const d = r % job.dim;
  const { dt, dtu, u, y } = s;
  const { hs, ea, dy, du, ddt } = bs;
  for (let n = 0; n < N; n++) {
    lib.loadBC(job, 0, r, n, 1, s, lib);
    lib.loadBC(job, 1, r, n, 1, s, lib);
    const { bArr, bOff, cArr, cOff } = s;
    const a = job.A[d * N + n];
    // Forward recompute: the expressions of scanRowY, so h is bit-identical to the forward's.
    let h = job.initialState ? job.initialState[r * N + n] : 0;
    hs[0] = h;
    for (let t = 0; t < L; t++) {
      const e = Math.exp(dt[t] * a);
      h = e * h + dtu[t] * bArr[bOff + t];
      ea[t] = e;
      hs[t + 1] = h;
      y[t] += cArr[cOff + t] * h;
    }
    // Reverse.
    const vB = job.sliceB;
    const vC = job.sliceC;
    const vOff = sliceOff + n * L;
    let lam = job.gradLastState ? job.gradLastState[r * N + n] : 0;
    let sumA = 0;
    let sumB = 0;
    let sumC = 0;
    for (let t = L - 1; t >= 0; t--) {
      const dyt = dy[t];
      const bt = bArr[bOff + t];
      lam += dyt * cArr[cOff + t];
      const g = lam * dt[t];
      const ah = ea[t] * hs[t];
      if (vC) vC[vOff + t] += dyt * hs[t + 1];
      else sumC += dyt * hs[t + 1];
      if (vB) vB[vOff + t] += g * u[t];
      else sumB += g * u[t];
      du[t] += g * bt;
      ddt[t] += lam * (a * ah + bt * u[t]);
      sumA += g * ah;
      lam *= ea[t];
    }
    job.partA[r * N + n] = sumA;
    if (job.partB) job.partB[r * N + n] = sumB;
    if (job.partC) job.partC[r * N + n] = sumC;
    if (job.dInitialState) job.dInitialState[r * N + n] = lam;
  }
}

/** backwardStatesReal for complex A, B, C and states (interleaved pairs; formulas above). */
export function backwardStatesComplex(
  job: BackwardJob,
  r: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  const L = job.seqlen;
  const N = job.dstate;
  const d = r % job.dim;
  const { dt, dtu, u, y } = s;
  const { hs, ea, dy, du, ddt } = bs;
  const init = job.initialState;
  const gl = job.gradLastState;
  for (let n = 0; n < N; n++) {
    lib.loadBC(job, 0, r, n, 1, s, lib);
    lib.loadBC(job, 1, r, n, 1, s, lib);
    const { bArr, bOff, cArr, cOff } = s;
    const ar = job.A[2 * (d * N + n)];
    const ai = job.A[2 * (d * N + n) + 1];
    let hr = init ? init[2 * (r * N + n)] : 0;
    let hi = init ? init[2 * (r * N + n) + 1] : 0;
    hs[0] = hr;
    hs[1] = hi;
    for (let t = 0; t < L; t++) {
      const m = Math.exp(dt[t] * ar);
      const er = m * Math.cos(dt[t] * ai);
      const ei = m * Math.sin(dt[t] * ai);
      const j = bOff + 2 * t;
      const k = cOff + 2 * t;
      const nr = er * hr - ei * hi + dtu[t] * bArr[j];
      hi = er * hi + ei * hr + dtu[t] * bArr[j + 1];
      hr = nr;
      ea[2 * t] = er;
      ea[2 * t + 1] = ei;
      hs[2 * t + 2] = hr;
      hs[2 * t + 3] = hi;
      y[t] += cArr[k] * hr - cArr[k + 1] * hi; // Re(C·h), doubled by the caller
    }
    const vB = job.sliceB;
    const vC = job.sliceC;
    const vOff = sliceOff + 2 * n * L;
    let lr = gl ? gl[2 * (r * N + n)] : 0;
    let li = gl ? gl[2 * (r * N + n) + 1] : 0;
    let sAr = 0;
    let sAi = 0;
    let sBr = 0;
    let sBi = 0;
    let sCr = 0;
    let sCi = 0;
    for (let t = L - 1; t >= 0; t--) {
      const dy2 = 2 * dy[t];
      const br = bArr[bOff + 2 * t];
      const bi = bArr[bOff + 2 * t + 1];
      lr += dy2 * cArr[cOff + 2 * t]; // λ += 2·dy·conj(C)
      li -= dy2 * cArr[cOff + 2 * t + 1];
      const htr = hs[2 * t + 2];
      const hti = hs[2 * t + 3];
      if (vC) {
        vC[vOff + 2 * t] += dy2 * htr; // dC = 2·dy·conj(h_t)
        vC[vOff + 2 * t + 1] -= dy2 * hti;
      } else {
        sCr += dy2 * htr;
        sCi -= dy2 * hti;
      }
      const gr = lr * dt[t]; // g = dt·λ
      const gi = li * dt[t];
      if (vB) {
        vB[vOff + 2 * t] += gr * u[t];
        vB[vOff + 2 * t + 1] += gi * u[t];
      } else {
        sBr += gr * u[t];
        sBi += gi * u[t];
      }
      du[t] += gr * br + gi * bi; // Re(g·conj(B))
      const er = ea[2 * t];
      const ei = ea[2 * t + 1];
      const hpr = hs[2 * t];
      const hpi = hs[2 * t + 1];
      const ahr = er * hpr - ei * hpi; // a_t·h_{t-1}
      const ahi = er * hpi + ei * hpr;
      const qr = ar * ahr - ai * ahi + br * u[t]; // A·a·h + B·u
      const qi = ar * ahi + ai * ahr + bi * u[t];
      ddt[t] += lr * qr + li * qi; // Re(λ·conj(q))
      sAr += gr * ahr + gi * ahi; // g·conj(a·h)
      sAi += gi * ahr - gr * ahi;
      const nlr = er * lr + ei * li; // λ = conj(a)·λ
      li = er * li - ei * lr;
      lr = nlr;
    }
    const p = 2 * (r * N + n);
    job.partA[p] = sAr;
    job.partA[p + 1] = sAi;
    if (job.partB) {
      job.partB[p] = sBr;
      job.partB[p + 1] = sBi;
    }
    if (job.partC) {
      job.partC[p] = sCr;
      job.partC[p + 1] = sCi;
    }
    if (job.dInitialState) {
      job.dInitialState[p] = lr;
      job.dInitialState[p + 1] = li;
    }
  }
}

/** scan_rows' library plus the reverse sweeps. */
export const backwardLib = {
  ...scanRowLib,
  makeBackScratch,
  backwardStatesReal,
  backwardStatesComplex,
} as const;

export type BackwardLib = typeof backwardLib;
