/**
 * How close a backend must come to the reference. An element passes when
 * |actual − expected| ≤ atol + rtol·|expected| (numpy's allclose).
 *
 * The output table is mamba_ssm's own (tests/ops/test_selective_scan.py): float32 (6e-4, 2e-3),
 * float16 (3e-3, 5e-3), bfloat16 (3e-2, 5e-2). Gradients get the same widening that test
 * gives them: du ×2, ddelta ×5 (rtol) / ×10 (atol) because it passes through softplus' and
 * exp's derivatives; the weight gradients (dA, dD, dDeltaBias, dz) are sums over batch and
 * seqlen, held to (1e-3, 1e-3) or the output tolerance if looser, with dA's atol ×5 since
 * it sums the most terms. Variable B and C use the output tolerance.
 */
import type { ScanDType } from './shapes';

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export const OUT_TOLERANCE: Readonly<Record<ScanDType, Tolerance>> = {
  float32: { rtol: 6e-4, atol: 2e-3 },
  float16: { rtol: 3e-3, atol: 5e-3 },
  bfloat16: { rtol: 3e-2, atol: 5e-2 },
  // float64 is checked against the float32-style reference only on the CPU backend.
  float64: { rtol: 6e-4, atol: 2e-3 },
};

export type ScanOutputName = 'out' | 'du' | 'ddelta' | 'dA' | 'dB' | 'dC' | 'dD' | 'dz' | 'dDeltaBias';

export function toleranceFor(name: ScanOutputName, dtype: ScanDType): Tolerance {
  const { rtol, atol } = OUT_TOLERANCE[dtype];
  const weight = { rtol: Math.max(1e-3, rtol), atol: Math.max(1e-3, atol) };
  switch (name) {
    case 'out':
    case 'dB':
    case 'dC':
      return { rtol, atol };
    case 'du':
      return { rtol: rtol * 2, atol: atol * 2 };
    case 'ddelta':
      return { rtol: rtol * 5, atol: atol * 10 };
    case 'dA':
      return { rtol: weight.rtol, atol: weight.atol * 5 };
    case 'dD':
    case 'dz':
    case 'dDeltaBias':
      return weight;
  }
}

export interface Comparison {
  readonly maxAbs: number;
  /** Largest |a − e| / |e| over elements where |e| > atol (relative error near 0 means nothing). */
  readonly maxRel: number;
  /** Elements outside atol + rtol·|e|, NaN included. */
  readonly failures: number;
  readonly count: number;
  /** Index of the element furthest outside its tolerance (or largest error if all pass). */
  readonly worst: number;
  readonly pass: boolean;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): Comparison {
  if (actual.length !== expected.length) {
    throw new RangeError(
      `compare: argument 'actual' must have ${expected.length} values like 'expected', got ${actual.length}`,
    );
  }
  let maxAbs = 0;
  let maxRel = 0;
  let failures = 0;
  let worst = 0;
  let worstExcess = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const diff = Math.abs(a - e);
    const allowed = tol.atol + tol.rtol * Math.abs(e);
    // NaN compares false everywhere: count it as a failure explicitly.
    if (!(diff <= allowed)) failures++;
    const excess = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff - allowed;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
    if (!(diff <= maxAbs)) maxAbs = diff;
    if (Math.abs(e) > tol.atol && !(diff / Math.abs(e) <= maxRel)) maxRel = diff / Math.abs(e);
  }
  return { maxAbs, maxRel, failures, count: actual.length, worst, pass: failures === 0 };
}
