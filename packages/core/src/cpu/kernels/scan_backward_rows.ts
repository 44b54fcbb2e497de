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
 * The same sweep accumulates y = Σ_n C·h, which the gate's gradient needs.
 */

import { backwardStatesComplex } from './scan_backward_complex';
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

export function makeBackScratch(seqlen: number): BackScratch {
  return {
    // Four interleaved real states (backwardBlockReal) or one complex one.
    hs: new Float64Array(4 * (seqlen + 1)),
    ea: new Float64Array(4 * seqlen),
    g: new Float64Array(seqlen),
    dy: new Float64Array(seqlen),
    du: new Float64Array(seqlen),
    ddt: new Float64Array(seqlen),
  };
}

/**
 * Every state of row r (real A): adds to bs.du, bs.ddt and s.y; writes the row's partials and
 * dInitialState. `sliceOff`: start of this row's (batch, group, slice) block in sliceB/sliceC.
 * States go four at a time, as in the forward (scanRowY), then one by one; y is summed in the
 * forward's order, so it is the forward's y bit for bit.
 */
export function backwardStatesReal(
  job: BackwardJob,
  r: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  let n = 0;
  for (; n + 4 <= job.dstate; n += 4) lib.backwardBlockReal(job, r, n, sliceOff, s, bs, lib);
  for (; n < job.dstate; n++) lib.backwardStateReal(job, r, n, sliceOff, s, bs, lib);
}

/** One real state n of row r: forward recompute into hs/ea, then the reverse sweep. */
export function backwardStateReal(
  job: BackwardJob,
  r: number,
  n: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  const L = job.seqlen;
  const N = job.dstate;
  const { dt, dtu, u, y } = s;
  const { hs, ea, dy, du, ddt } = bs;
  lib.loadBC(job, 0, r, n, 1, s, lib);
  lib.loadBC(job, 1, r, n, 1, s, lib);
  const { bArr, bOff, cArr, cOff } = s;
  const a = job.A[(r % job.dim) * N + n];
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

/**
 * Real states n..n+3 of row r together: backwardStateReal's formulas, four recurrences per pass
 * so that their exps overlap and they share the loads and stores of dt, u, dy, du, ddt and y.
 * hs and ea hold the four interleaved: hs[4t + k] = h_t of state n+k.
 */
export function backwardBlockReal(
  job: BackwardJob,
  r: number,
  n: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  const L = job.seqlen;
  const N = job.dstate;
  const { dt, dtu, u, y } = s;
  const { hs, ea, dy, du, ddt } = bs;
  lib.loadBC(job, 0, r, n, 4, s, lib);
  lib.loadBC(job, 1, r, n, 4, s, lib);
  const { bArr, bOff, cArr, cOff } = s;
  const ai = (r % job.dim) * N + n;
  const a0 = job.A[ai];
  const a1 = job.A[ai + 1];
  const a2 = job.A[ai + 2];
  const a3 = job.A[ai + 3];
  const i = r * N + n;
  const init = job.initialState;
  let h0 = init ? init[i] : 0;
  let h1 = init ? init[i + 1] : 0;
  let h2 = init ? init[i + 2] : 0;
  let h3 = init ? init[i + 3] : 0;
  hs[0] = h0;
  hs[1] = h1;
  hs[2] = h2;
  hs[3] = h3;
  for (let t = 0; t < L; t++) {
    const dtt = dt[t];
    const x = dtu[t];
    const e0 = Math.exp(dtt * a0);
    const e1 = Math.exp(dtt * a1);
    const e2 = Math.exp(dtt * a2);
    const e3 = Math.exp(dtt * a3);
    h0 = e0 * h0 + x * bArr[bOff + t];
    h1 = e1 * h1 + x * bArr[bOff + L + t];
    h2 = e2 * h2 + x * bArr[bOff + 2 * L + t];
    h3 = e3 * h3 + x * bArr[bOff + 3 * L + t];
    const k = 4 * t;
    ea[k] = e0;
    ea[k + 1] = e1;
    ea[k + 2] = e2;
    ea[k + 3] = e3;
    hs[k + 4] = h0;
    hs[k + 5] = h1;
    hs[k + 6] = h2;
    hs[k + 7] = h3;
    y[t] +=
      cArr[cOff + t] * h0 +
      cArr[cOff + L + t] * h1 +
      cArr[cOff + 2 * L + t] * h2 +
      cArr[cOff + 3 * L + t] * h3;
  }
  const vB = job.sliceB;
  const vC = job.sliceC;
  const vOff = sliceOff + n * L;
  const gl = job.gradLastState;
  let l0 = gl ? gl[i] : 0;
  let l1 = gl ? gl[i + 1] : 0;
  let l2 = gl ? gl[i + 2] : 0;
  let l3 = gl ? gl[i + 3] : 0;
  // biome-ignore format: the four states of the block side by side
  let sA0 = 0, sA1 = 0, sA2 = 0, sA3 = 0;
  // biome-ignore format: the four states of the block side by side
  let sB0 = 0, sB1 = 0, sB2 = 0, sB3 = 0;
  // biome-ignore format: the four states of the block side by side
  let sC0 = 0, sC1 = 0, sC2 = 0, sC3 = 0;
  for (let t = L - 1; t >= 0; t--) {
    const dyt = dy[t];
    const dtt = dt[t];
    const ut = u[t];
    const k = 4 * t;
    const b0 = bArr[bOff + t];
    const b1 = bArr[bOff + L + t];
    const b2 = bArr[bOff + 2 * L + t];
    const b3 = bArr[bOff + 3 * L + t];
    l0 += dyt * cArr[cOff + t];
    l1 += dyt * cArr[cOff + L + t];
    l2 += dyt * cArr[cOff + 2 * L + t];
    l3 += dyt * cArr[cOff + 3 * L + t];
    if (vC) {
      vC[vOff + t] += dyt * hs[k + 4];
      vC[vOff + L + t] += dyt * hs[k + 5];
      vC[vOff + 2 * L + t] += dyt * hs[k + 6];
      vC[vOff + 3 * L + t] += dyt * hs[k + 7];
    } else {
      sC0 += dyt * hs[k + 4];
      sC1 += dyt * hs[k + 5];
      sC2 += dyt * hs[k + 6];
      sC3 += dyt * hs[k + 7];
    }
    const g0 = l0 * dtt;
    const g1 = l1 * dtt;
    const g2 = l2 * dtt;
    const g3 = l3 * dtt;
    if (vB) {
      vB[vOff + t] += g0 * ut;
      vB[vOff + L + t] += g1 * ut;
      vB[vOff + 2 * L + t] += g2 * ut;
      vB[vOff + 3 * L + t] += g3 * ut;
    } else {
      sB0 += g0 * ut;
      sB1 += g1 * ut;
      sB2 += g2 * ut;
      sB3 += g3 * ut;
    }
    const ah0 = ea[k] * hs[k];
    const ah1 = ea[k + 1] * hs[k + 1];
    const ah2 = ea[k + 2] * hs[k + 2];
    const ah3 = ea[k + 3] * hs[k + 3];
    du[t] += g0 * b0 + g1 * b1 + g2 * b2 + g3 * b3;
    ddt[t] +=
      l0 * (a0 * ah0 + b0 * ut) +
      l1 * (a1 * ah1 + b1 * ut) +
      l2 * (a2 * ah2 + b2 * ut) +
      l3 * (a3 * ah3 + b3 * ut);
    sA0 += g0 * ah0;
    sA1 += g1 * ah1;
    sA2 += g2 * ah2;
    sA3 += g3 * ah3;
    l0 *= ea[k];
    l1 *= ea[k + 1];
    l2 *= ea[k + 2];
    l3 *= ea[k + 3];
  }
  const sums = [
    [job.partA, sA0, sA1, sA2, sA3],
    [job.partB, sB0, sB1, sB2, sB3],
    [job.partC, sC0, sC1, sC2, sC3],
    [job.dInitialState, l0, l1, l2, l3],
  ] as const;
  for (const [out, v0, v1, v2, v3] of sums) {
    if (!out) continue;
    out[i] = v0;
    out[i + 1] = v1;
    out[i + 2] = v2;
    out[i + 3] = v3;
  }
}

/** scan_rows' library plus the reverse sweeps. */
export const backwardLib = {
  ...scanRowLib,
  makeBackScratch,
  backwardStatesReal,
  backwardStateReal,
  backwardBlockReal,
  backwardStatesComplex,
} as const;

export type BackwardLib = typeof backwardLib;
