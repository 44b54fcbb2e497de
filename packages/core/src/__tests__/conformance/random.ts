/**
 * Seeded random data for the scan tests. Every run draws a fresh seed (printed in the suite
 * name and in every failure message); `SSCAN_SEED=<n>` replays a run exactly.
 */
import { randomInt } from 'node:crypto';
import type { ScanProblem } from '../oracle/selectiveScanOracle';

export type Rng = () => number;

/** mulberry32: small, fast, and good enough to draw test data. Uniform in [0, 1). */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: SSCAN_SEED if set, else fresh. */
export function runSeed(): number {
  const forced = process.env.SSCAN_SEED;
  if (forced !== undefined && forced !== '') {
    const n = Number(forced);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`SSCAN_SEED must be a non-negative integer, got '${forced}'`);
    return n >>> 0;
  }
  return randomInt(0, 2 ** 31);
}

/** A derived generator, so each test draws the same data whatever ran before it. */
export function rngFor(seed: number, label: string): Rng {
  let h = seed >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return makeRng(h);
}

export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

export function normal(rng: Rng): number {
  // Box–Muller; 1 - rng() is in (0, 1], so the log is finite.
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

export function normals(rng: Rng, n: number, scale = 1): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = scale * normal(rng);
  return x;
}

/** Inverse of softplus: the pre-activation that gives dt. */
function inverseSoftplus(dt: number): number {
  return Math.log(Math.expm1(dt));
}

function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.exp(uniform(rng, Math.log(lo), Math.log(hi)));
}

export interface ProblemSpec {
  batch: number;
  dim: number;
  seqlen: number;
  dstate: number;
  groups: number;
  complex: boolean;
  variableB: boolean;
  variableC: boolean;
  D: boolean;
  z: boolean;
  deltaBias: boolean;
  deltaSoftplus: boolean;
  initialState: boolean;
  /**
   * Draw some dt past the softplus cut-off (21..30) and some within 0.5 of it. Off for
   * finite differences, which would straddle the kink at 20.
   */
  cutoffCases: boolean;
}

/**
 * Realistic values (Mamba's initialisation): dt = softplus(delta + deltaBias) log-uniform in
 * [0.001, 0.1]; A with real parts -(1..16) (S4D-real) and, when complex, imaginary parts up
 * to ±4π (S4D-lin); u, B, C, D, z, initialState standard normal. With cutoffCases, ~3% of
 * the time steps get dt in 21..30 (the softplus is the identity there and exp(dt·A) ≈ 0,
 * a state reset) and ~1% land within 0.5 of the cut-off.
 */
export function randomProblem(rng: Rng, s: ProblemSpec): ScanProblem {
  const { batch, dim, seqlen, dstate, groups, complex } = s;
  const w = complex ? 2 : 1;
  const deltaBias = s.deltaBias ? new Float64Array(dim) : null;
  if (deltaBias) {
    for (let d = 0; d < dim; d++) {
      deltaBias[d] = s.deltaSoftplus ? inverseSoftplus(logUniform(rng, 0.003, 0.03)) : uniform(rng, 0, 0.01);
    }
  }
  const delta = new Float64Array(batch * dim * seqlen);
  for (let i = 0; i < delta.length; i++) {
    const d = Math.floor(i / seqlen) % dim;
    const bias = deltaBias ? deltaBias[d] : 0;
    const r = s.cutoffCases ? rng() : 1;
    let dt: number;
    if (r < 0.03) dt = uniform(rng, 21, 30);
    else if (r < 0.04) dt = uniform(rng, 19.5, 20.5);
    else dt = logUniform(rng, 0.001, 0.1);
    // Pre-activation such that (softplus of) delta + bias is dt; with a bias the per-step
    // part is what is left, so both delta and bias carry real weight in the gradient.
    delta[i] = (s.deltaSoftplus && dt <= 20.5 ? inverseSoftplus(dt) : dt) - bias;
  }
  const A = new Float64Array(dim * dstate * w);
  for (let i = 0; i < dim * dstate; i++) {
    A[w * i] = -uniform(rng, 1, 16);
    if (complex) A[w * i + 1] = uniform(rng, -4 * Math.PI, 4 * Math.PI);
  }
  const bcLength = (variable: boolean) => (variable ? batch * groups * dstate * seqlen : dim * dstate) * w;
  // Complex parts each N(0, 1/2), so |B|² has mean 1 like the real case.
  const bcScale = complex ? Math.SQRT1_2 : 1;
  return {
    batch,
    dim,
    seqlen,
    dstate,
    groups,
    complex,
    deltaSoftplus: s.deltaSoftplus,
    variableB: s.variableB,
    variableC: s.variableC,
    u: normals(rng, batch * dim * seqlen),
    delta,
    A,
    B: normals(rng, bcLength(s.variableB), bcScale),
    C: normals(rng, bcLength(s.variableC), bcScale),
    D: s.D ? normals(rng, dim) : null,
    z: s.z ? normals(rng, batch * dim * seqlen, 1.5) : null,
    deltaBias,
    initialState: s.initialState ? normals(rng, batch * dim * dstate * w) : null,
  };
}
