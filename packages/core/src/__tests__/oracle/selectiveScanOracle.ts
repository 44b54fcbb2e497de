/**
 * The selective scan written straight from the formula in DESIGN.md, in float64, with no
 * code shared with any backend (no imports from src/). It is slow on purpose: one loop per
 * symbol of the formula, one complex product spelled out, nothing fused or chunked.
 *
 *   dt  = delta + deltaBias                                   (if deltaBias)
 *   dt  = softplus(dt) = log1p(exp(dt)), or dt when dt > 20    (if deltaSoftplus)
 *   h_t = exp(dt_t·A) ⊙ h_{t-1} + dt_t·B_t·u_t                 (h_0 = initialState or 0)
 *   y_t = Σ_n C_t[n]·h_t[n]                                    (complex: 2·Re Σ_n C_t[n]·h_t[n])
 *   out = (y + D·u) · z·sigmoid(z)                             (each factor if present)
 *   lastState = h_seqlen
 *
 * Gradients come from central finite differences of a real linear functional of
 * (out, lastState), so they are independent of any hand-derived backward.
 */

/**
 * One problem in plain arrays (row-major; complex values interleaved re, im):
 * u, delta, z (batch, dim, seqlen); A (dim, dstate); B, C (dim, dstate) when constant or
 * (batch, groups, dstate, seqlen) when variable; D, deltaBias (dim); initialState
 * (batch, dim, dstate). A, B, C and initialState are complex exactly when `complex`.
 */
export interface ScanProblem {
  batch: number;
  dim: number;
  seqlen: number;
  dstate: number;
  /** Divides dim; channel d reads group floor(d / (dim / groups)) of a variable B/C. */
  groups: number;
  complex: boolean;
  deltaSoftplus: boolean;
  variableB: boolean;
  variableC: boolean;
  u: Float64Array;
  delta: Float64Array;
  A: Float64Array;
  B: Float64Array;
  C: Float64Array;
  D: Float64Array | null;
  z: Float64Array | null;
  deltaBias: Float64Array | null;
  initialState: Float64Array | null;
}

export interface ScanResult {
  /** (batch, dim, seqlen) */
  out: Float64Array;
  /** (batch, dim, dstate), complex interleaved when the problem is complex. */
  lastState: Float64Array;
}

/** The tensor inputs of the scan, in the order of DESIGN.md. */
export const SCAN_INPUTS = ['u', 'delta', 'A', 'B', 'C', 'D', 'z', 'deltaBias', 'initialState'] as const;
export type ScanInputName = (typeof SCAN_INPUTS)[number];

/** The inputs that are complex in a complex problem. */
export function isComplexInput(p: ScanProblem, name: ScanInputName): boolean {
  return p.complex && (name === 'A' || name === 'B' || name === 'C' || name === 'initialState');
}

/** The softplus of DESIGN.md, with its cut-off above 20. */
export function oracleSoftplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function scanOracle(p: ScanProblem): ScanResult {
  const { batch, dim, seqlen, dstate, groups, complex } = p;
  const w = complex ? 2 : 1;
  const out = new Float64Array(batch * dim * seqlen);
  const lastState = new Float64Array(batch * dim * dstate * w);
  const channelsPerGroup = dim / groups;
  const hRe = new Float64Array(dstate);
  const hIm = new Float64Array(dstate);

  // B_t[n] / C_t[n] for (b, d, n, t) as [re, im] (im = 0 for real problems).
  const read = (
    x: Float64Array,
    variable: boolean,
    b: number,
    d: number,
    n: number,
    t: number,
  ): [number, number] => {
    const g = Math.floor(d / channelsPerGroup);
    const i = variable ? ((b * groups + g) * dstate + n) * seqlen + t : d * dstate + n;
    return complex ? [x[2 * i], x[2 * i + 1]] : [x[i], 0];
  };

  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < dim; d++) {
      for (let n = 0; n < dstate; n++) {
        const i = (b * dim + d) * dstate + n;
        hRe[n] = p.initialState ? p.initialState[w * i] : 0;
        hIm[n] = p.initialState && complex ? p.initialState[w * i + 1] : 0;
      }
      for (let t = 0; t < seqlen; t++) {
        const x = (b * dim + d) * seqlen + t;
        const uu = p.u[x];
        let dt = p.delta[x];
        if (p.deltaBias) dt += p.deltaBias[d];
        if (p.deltaSoftplus) dt = oracleSoftplus(dt);
        let y = 0;
        for (let n = 0; n < dstate; n++) {
          const aRe = complex ? p.A[2 * (d * dstate + n)] : p.A[d * dstate + n];
          const aIm = complex ? p.A[2 * (d * dstate + n) + 1] : 0;
          // exp(dt·A) = exp(dt·Re A)·(cos(dt·Im A) + i·sin(dt·Im A))
          const mag = Math.exp(dt * aRe);
          const eRe = mag * Math.cos(dt * aIm);
          const eIm = mag * Math.sin(dt * aIm);
          const [bRe, bIm] = read(p.B, p.variableB, b, d, n, t);
          const nextRe = eRe * hRe[n] - eIm * hIm[n] + dt * bRe * uu;
          const nextIm = eRe * hIm[n] + eIm * hRe[n] + dt * bIm * uu;
          hRe[n] = nextRe;
          hIm[n] = nextIm;
          const [cRe, cIm] = read(p.C, p.variableC, b, d, n, t);
          y += cRe * hRe[n] - cIm * hIm[n]; // Re(C·h)
        }
        if (complex) y *= 2;
        let o = y;
        if (p.D) o += p.D[d] * uu;
        if (p.z) o *= p.z[x] * sigmoid(p.z[x]);
        out[x] = o;
      }
      for (let n = 0; n < dstate; n++) {
        const i = (b * dim + d) * dstate + n;
        lastState[w * i] = hRe[n];
        if (complex) lastState[w * i + 1] = hIm[n];
      }
    }
  }
  return { out, lastState };
}

/**
 * L = Σ gradOut·out + Σ gradLastState·lastState (complex: Σ Re·Re + Im·Im, so that under
 * PyTorch's convention dL/d lastState = gradLastState exactly).
 */
export function linearFunctional(
  r: ScanResult,
  gradOut: Float64Array,
  gradLastState: Float64Array | null,
): number {
  let s = 0;
  for (let i = 0; i < r.out.length; i++) s += gradOut[i] * r.out[i];
  if (gradLastState) for (let i = 0; i < r.lastState.length; i++) s += gradLastState[i] * r.lastState[i];
  return s;
}

export type ScanGradients = { [K in ScanInputName]: Float64Array | null };

/**
 * dL/d(every input) by central differences in float64, for the L of `linearFunctional`.
 * Each real component is perturbed on its own, so a complex input gets dL/dRe in its re slot
 * and dL/dIm in its im slot: the PyTorch convention ∂L/∂Re + i·∂L/∂Im. The step is relative
 * (1e-6·max(1, |x|)): truncation error ~1e-12, round-off ~1e-10·|L|, far below what the
 * tests ask. Inputs near the softplus cut-off (|dt - 20| < step) would see the kink; the
 * problems used with this function keep dt away from 20.
 */
export function finiteDifferenceGradients(
  p: ScanProblem,
  gradOut: Float64Array,
  gradLastState: Float64Array | null,
): ScanGradients {
  const grads = {} as ScanGradients;
  for (const name of SCAN_INPUTS) {
    const x = p[name];
    if (!x) {
      grads[name] = null;
      continue;
    }
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const x0 = x[i];
      const h = 1e-6 * Math.max(1, Math.abs(x0));
      x[i] = x0 + h;
      const plus = linearFunctional(scanOracle(p), gradOut, gradLastState);
      x[i] = x0 - h;
      const minus = linearFunctional(scanOracle(p), gradOut, gradLastState);
      x[i] = x0;
      g[i] = (plus - minus) / (2 * h);
    }
    grads[name] = g;
  }
  return grads;
}

/** A copy of p, so finite differences or slicing never alias a caller's arrays. */
export function cloneProblem(p: ScanProblem): ScanProblem {
  const c = (x: Float64Array | null) => (x ? Float64Array.from(x) : null);
  return {
    ...p,
    u: Float64Array.from(p.u),
    delta: Float64Array.from(p.delta),
    A: Float64Array.from(p.A),
    B: Float64Array.from(p.B),
    C: Float64Array.from(p.C),
    D: c(p.D),
    z: c(p.z),
    deltaBias: c(p.deltaBias),
    initialState: c(p.initialState),
  };
}
