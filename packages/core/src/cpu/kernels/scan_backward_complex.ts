/**
 * The reverse pass of one row for complex A, B, C and states (interleaved (re, im) pairs), one
 * state at a time: the formulas and the memory scheme of scan_backward_rows.ts, in complex
 * arithmetic. Self-contained and shipped to workers like the real version.
 */
import type { BackScratch, BackwardJob, BackwardLib } from './scan_backward_rows';
import type { RowScratch } from './scan_rows';

/**
 * backwardStatesReal for complex A, B, C and states (the formulas of scan_backward_rows.ts, in
 * complex arithmetic), over chunk c = [c·chunk, c·chunk + len).
 */
export function backwardStatesComplex(
  job: BackwardJob,
  r: number,
  c: number,
  len: number,
  sliceOff: number,
  s: RowScratch,
  bs: BackScratch,
  lib: BackwardLib,
): void {
  const L = len;
  const N = job.dstate;
  const d = r % job.dim;
  const t0 = c * job.chunk;
  const { dt, dtu, u, y } = s;
  const { hs, ea, dy, du, ddt, ckpt, lam } = bs;
  for (let n = 0; n < N; n++) {
    lib.loadBC(job, 0, r, n, 1, t0, len, s, lib);
    lib.loadBC(job, 1, r, n, 1, t0, len, s, lib);
    const { bArr, bOff, cArr, cOff } = s;
    const ar = job.A[2 * (d * N + n)];
    const ai = job.A[2 * (d * N + n) + 1];
    let hr = ckpt[2 * (c * N + n)];
    let hi = ckpt[2 * (c * N + n) + 1];
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
    const vOff = sliceOff + 2 * (n * job.seqlen + t0);
    let lr = lam[2 * n];
    let li = lam[2 * n + 1];
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
    lam[2 * n] = lr;
    lam[2 * n + 1] = li;
    const p = 2 * (r * N + n);
    job.partA[p] += sAr;
    job.partA[p + 1] += sAi;
    if (job.partB) {
      job.partB[p] += sBr;
      job.partB[p + 1] += sBi;
    }
    if (job.partC) {
      job.partC[p] += sCr;
      job.partC[p + 1] += sCi;
    }
  }
}
