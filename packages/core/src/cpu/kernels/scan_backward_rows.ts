/**
 * The reverse pass of one time chunk of a row, for every state (shipped to workers like
 * scan_rows.ts: self-contained, helpers through `lib`).
 *
 * Memory per thread is O(chunk + dstate·seqlen/chunk): the caller keeps the state at the start of
 * each chunk (checkpoints, one forward pass; none needed when the row is one chunk) and the λ of
 * every state across chunks; here, for a block of states, the chunk's forward recurrence is
 * recomputed from its checkpoint into `hs` (h) and `ea` (a_t = exp(dt_t·A)), then swept backwards.
 * So a row never holds seqlen × dstate values, and each a_t costs one exp, as in the forward.
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

/** Per-thread rows of the backward (chunk long), beside RowScratch. */
export interface BackScratch {
  /** The states at the start of every chunk of the row: (chunks, dstate), pairs when complex. */
  readonly ckpt: Float64Array;
  /** λ of every state at the end of the chunk being swept (dstate, pairs when complex). */
  readonly lam: Float64Array;
  /** h at the chunk's steps 0..len for the states being swept (pairs when complex). */
  readonly hs: Float64Array;
  /** a at the chunk's steps 1..len for the states being swept (pairs when complex). */
  readonly ea: Float64Array;
  /** gradOut of the row, as read. */
  readonly g: Float64Array;
  /** dL/dy, the gradient reaching y (through the gate). */
  readonly dy: Float64Array;
  readonly du: Float64Array;
  readonly ddt: Float64Array;
}

export function makeBackScratch(
  chunk: number,
  seqlen: number,
  dstate: number,
  isComplex: boolean,
): BackScratch {
  const w = isComplex ? 2 : 1;
  return {
    ckpt: new Float64Array(w * dstate * Math.ceil(seqlen / chunk)),
    lam: new Float64Array(w * dstate),
    // Four interleaved real states (backwardBlockReal) or one complex one.
    hs: new Float64Array(4 * (chunk + 1)),
    ea: new Float64Array(4 * chunk),
    g: new Float64Array(chunk),
    dy: new Float64Array(chunk),
    du: new Float64Array(chunk),
    ddt: new Float64Array(chunk),
  };
}

/**
 * Every state of row r (real A) over chunk c = [c·chunk, c·chunk + len), which prepareRow loaded:
 * adds to bs.du, bs.ddt, s.y and the row's partial sums, and moves bs.lam to the chunk's start.
 * `sliceOff`: start of this row's (batch, group, slice) block in sliceB/sliceC. States go four at
 * a time, as in the forward (scanRowY), then one by one; y is summed in the forward's order, so
 * it is the forward's y bit for bit.
 */
export function backwardStatesReal(
  job: BackwardJob,
  r: number,
  c: number,
  len: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  let n = 0;
  for (; n + 4 <= job.dstate; n += 4) lib.backwardBlockReal(job, r, n, c, len, sliceOff, s, bs, lib);
  for (; n < job.dstate; n++) lib.backwardStateReal(job, r, n, c, len, sliceOff, s, bs, lib);
}

/** One real state n of row r over chunk c: recompute from the checkpoint into hs/ea, then sweep back. */
export function backwardStateReal(
  job: BackwardJob,
  r: number,
  n: number,
  c: number,
  len: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  const L = len;
  const N = job.dstate;
  const t0 = c * job.chunk;
  const { dt, dtu, u, y } = s;
  const { hs, ea, dy, du, ddt } = bs;
  lib.loadBC(job, 0, r, n, 1, t0, len, s, lib);
  lib.loadBC(job, 1, r, n, 1, t0, len, s, lib);
  const { bArr, bOff, cArr, cOff } = s;
  const a = job.A[(r % job.dim) * N + n];
  // Forward recompute: the expressions of scanRowY, so h is bit-identical to the forward's.
  let h = bs.ckpt[c * N + n];
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
  const vOff = sliceOff + n * job.seqlen + t0;
  let lam = bs.lam[n];
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
  bs.lam[n] = lam;
  job.partA[r * N + n] += sumA;
  if (job.partB) job.partB[r * N + n] += sumB;
  if (job.partC) job.partC[r * N + n] += sumC;
}

/**
 * Real states n..n+3 of row r over chunk c together: backwardStateReal's formulas, four
 * recurrences per pass so that their exps overlap and they share the loads and stores of dt, u,
 * dy, du, ddt and y. hs and ea hold the four interleaved: hs[4t + k] = h_t of state n+k.
 */
export function backwardBlockReal(
  job: BackwardJob,
  r: number,
  n: number,
  c: number,
  len: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  const L = len;
  const N = job.dstate;
  const t0 = c * job.chunk;
  const { dt, dtu, u, y } = s;
  const { hs, ea, dy, du, ddt, ckpt, lam } = bs;
  lib.loadBC(job, 0, r, n, 4, t0, len, s, lib);
  lib.loadBC(job, 1, r, n, 4, t0, len, s, lib);
  const { bArr, bOff, cArr, cOff } = s;
  // Row k of the block's B (C) at b_k (c_k); of its variable dB (dC) partial at v_k.
  const b1 = bOff + s.bStride;
  const b2 = bOff + 2 * s.bStride;
  const b3 = bOff + 3 * s.bStride;
  const c1 = cOff + s.cStride;
  const c2 = cOff + 2 * s.cStride;
  const c3 = cOff + 3 * s.cStride;
  const v0 = sliceOff + n * job.seqlen + t0;
  const v1 = v0 + job.seqlen;
  const v2 = v0 + 2 * job.seqlen;
  const v3 = v0 + 3 * job.seqlen;
  const ai = (r % job.dim) * N + n;
  const a0 = job.A[ai];
  const a1 = job.A[ai + 1];
  const a2 = job.A[ai + 2];
  const a3 = job.A[ai + 3];
  let h0 = ckpt[c * N + n];
  let h1 = ckpt[c * N + n + 1];
  let h2 = ckpt[c * N + n + 2];
  let h3 = ckpt[c * N + n + 3];
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
    h1 = e1 * h1 + x * bArr[b1 + t];
    h2 = e2 * h2 + x * bArr[b2 + t];
    h3 = e3 * h3 + x * bArr[b3 + t];
    const k = 4 * t;
    ea[k] = e0;
    ea[k + 1] = e1;
    ea[k + 2] = e2;
    ea[k + 3] = e3;
    hs[k + 4] = h0;
    hs[k + 5] = h1;
    hs[k + 6] = h2;
    hs[k + 7] = h3;
    y[t] += cArr[cOff + t] * h0 + cArr[c1 + t] * h1 + cArr[c2 + t] * h2 + cArr[c3 + t] * h3;
  }
  const vB = job.sliceB;
  const vC = job.sliceC;
  let l0 = lam[n];
  let l1 = lam[n + 1];
  let l2 = lam[n + 2];
  let l3 = lam[n + 3];
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
    const bt0 = bArr[bOff + t];
    const bt1 = bArr[b1 + t];
    const bt2 = bArr[b2 + t];
    const bt3 = bArr[b3 + t];
    l0 += dyt * cArr[cOff + t];
    l1 += dyt * cArr[c1 + t];
    l2 += dyt * cArr[c2 + t];
    l3 += dyt * cArr[c3 + t];
    if (vC) {
      vC[v0 + t] += dyt * hs[k + 4];
      vC[v1 + t] += dyt * hs[k + 5];
      vC[v2 + t] += dyt * hs[k + 6];
      vC[v3 + t] += dyt * hs[k + 7];
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
      vB[v0 + t] += g0 * ut;
      vB[v1 + t] += g1 * ut;
      vB[v2 + t] += g2 * ut;
      vB[v3 + t] += g3 * ut;
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
    du[t] += g0 * bt0 + g1 * bt1 + g2 * bt2 + g3 * bt3;
    ddt[t] +=
      l0 * (a0 * ah0 + bt0 * ut) +
      l1 * (a1 * ah1 + bt1 * ut) +
      l2 * (a2 * ah2 + bt2 * ut) +
      l3 * (a3 * ah3 + bt3 * ut);
    sA0 += g0 * ah0;
    sA1 += g1 * ah1;
    sA2 += g2 * ah2;
    sA3 += g3 * ah3;
    l0 *= ea[k];
    l1 *= ea[k + 1];
    l2 *= ea[k + 2];
    l3 *= ea[k + 3];
  }
  lam[n] = l0;
  lam[n + 1] = l1;
  lam[n + 2] = l2;
  lam[n + 3] = l3;
  const i = r * N + n;
  const sums = [
    [job.partA, sA0, sA1, sA2, sA3],
    [job.partB, sB0, sB1, sB2, sB3],
    [job.partC, sC0, sC1, sC2, sC3],
  ] as const;
  for (const [out, s0, s1, s2, s3] of sums) {
    if (!out) continue;
    out[i] += s0;
    out[i + 1] += s1;
    out[i + 2] += s2;
    out[i + 3] += s3;
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
