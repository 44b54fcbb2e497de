/**
 * Tolerances and the elementwise comparison of the scan tests.
 *
 * An element passes when |actual - expected| <= atol + rtol·|expected| (torch.allclose), or
 * when both are the same infinity (a float16 value beyond 65504, which random inputs can
 * reach in a gradient); NaN never passes: an output the kernel forgot to write is NaN after
 * poisoning (see the suite).
 *
 * The numbers are those of Mamba's own kernel tests (state-spaces/mamba,
 * tests/ops/test_selective_scan.py), which compare the CUDA kernels with a float32 PyTorch
 * reference over the same seqlens:
 *   out (rtol, atol): float32 (6e-4, 2e-3), float16 (3e-3, 5e-3), bfloat16 (3e-2, 5e-2).
 *   The 16-bit rows cover the rounding of the output itself (half an ulp: 4.9e-4 relative
 *   for float16, 3.9e-3 for bfloat16) plus float32 accumulation over 4096 steps.
 *   Gradients: du (2·rtol, 2·atol); ddelta (5·rtol, 10·atol) — dt feeds exp(dt·A) and
 *   dt·B·u, so its gradient sums the most terms; the weight gradients dA, dD, dDeltaBias, dz
 *   (1e-3 rtol, 5e-3 atol) are reductions over batch·seqlen, and with z the gate multiplies
 *   every term, so Mamba raises them to at least the base tolerance; dB/dC variable (per
 *   step, like out): the base tolerance; constant (reduced over batch·seqlen): (1e-3, 1e-3).
 */
import type { ScanInputName } from '../oracle/selectiveScanOracle';

export type ScanDType = 'float32' | 'float16' | 'bfloat16';

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export const OUT_TOLERANCE: Readonly<Record<ScanDType, Tolerance>> = {
  float32: { rtol: 6e-4, atol: 2e-3 },
  float16: { rtol: 3e-3, atol: 5e-3 },
  bfloat16: { rtol: 3e-2, atol: 5e-2 },
};

/**
 * The CPU backend against float64 (the oracle, or itself in float64 from the same rounded
 * inputs). Much tighter than the GPU table: both sides see identical inputs, so what
 * separates them is the final rounding to the stored dtype (half an ulp: 6e-8 float32,
 * 4.9e-4 float16, 3.9e-3 bfloat16, doubled for safety) plus float32 accumulation where the
 * kernel uses it (~sqrt(terms)·6e-8 of the largest term, so atol is scaled by the largest
 * |expected| of the array: see `referenceTolerance`). float64 differs only in the order of
 * operations. A kernel bug that moves one value by 0.1% fails here even where Mamba's table
 * would let it through.
 */
export const REFERENCE_TOLERANCE: Readonly<Record<ScanDType | 'float64', Tolerance>> = {
  float32: { rtol: 2e-5, atol: 2e-5 },
  float16: { rtol: 1e-3, atol: 2e-5 },
  bfloat16: { rtol: 8e-3, atol: 2e-5 },
  float64: { rtol: 1e-10, atol: 1e-10 },
};

/** REFERENCE_TOLERANCE with atol scaled by max(1, max |expected|). */
export function referenceTolerance(dtype: ScanDType | 'float64', expected: ArrayLike<number>): Tolerance {
  let m = 1;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i]));
  const t = REFERENCE_TOLERANCE[dtype];
  return { rtol: t.rtol, atol: t.atol * m };
}

/** Tolerance of the gradient of input `name` (see the header for where each comes from). */
export function gradTolerance(
  name: ScanInputName,
  dtype: ScanDType,
  has: { z: boolean; variableB: boolean; variableC: boolean },
): Tolerance {
  const base = OUT_TOLERANCE[dtype];
  const weight = has.z
    ? { rtol: Math.max(1e-3, base.rtol), atol: Math.max(5e-3, base.atol) }
    : { rtol: 1e-3, atol: 5e-3 };
  switch (name) {
    case 'u':
      return { rtol: 2 * base.rtol, atol: 2 * base.atol };
    case 'delta':
      return { rtol: 5 * base.rtol, atol: 10 * base.atol };
    case 'B':
      return has.variableB ? base : constantBC(has.z, base);
    case 'C':
      return has.variableC ? base : constantBC(has.z, base);
    case 'initialState':
      // Same role as the state itself: compared like out.
      return base;
    default:
      return weight; // A, D, deltaBias, z
  }
}

function constantBC(z: boolean, base: Tolerance): Tolerance {
  return z
    ? { rtol: Math.max(1e-3, base.rtol), atol: Math.max(1e-3, base.atol) }
    : { rtol: 1e-3, atol: 1e-3 };
}

/**
 * The first few elements outside tolerance, or null when all pass. `shape` turns flat
 * indices into coordinates for the message; complex arrays (interleaved) say re/im.
 */
export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  shape: readonly number[],
  complex = false,
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let bad = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  const examples: string[] = [];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const allowed = tol.atol + tol.rtol * Math.abs(e);
    const err = Math.abs(a - e);
    // Written so that NaN fails, and an infinity matches only the same infinity (a float16
    // result beyond 65504 is +-Inf in the reference and in a correct backend alike; seen on
    // the GPU suite, seed 329371618): true only for finite, close values or equal infinities.
    const ok =
      (Number.isFinite(a) && Number.isFinite(e) && err <= allowed) || (a === e && !Number.isFinite(e));
    if (ok) continue;
    bad++;
    const excess = Number.isFinite(err) ? err / allowed : Infinity;
    if (excess > worstExcess || worst < 0) {
      worst = i;
      worstExcess = excess;
    }
    if (examples.length < 4) examples.push(`${at(i, shape, complex)}: got ${a}, expected ${e}`);
  }
  if (bad === 0) return null;
  return (
    `${bad} of ${actual.length} values outside |a - e| <= ${tol.atol} + ${tol.rtol}·|e|; ` +
    `worst ${at(worst, shape, complex)}: got ${actual[worst]}, expected ${expected[worst]} (${worstExcess.toPrecision(3)}× allowed); ` +
    `first: ${examples.join('; ')}`
  );
}

function at(flat: number, shape: readonly number[], complex: boolean): string {
  let rest = complex ? Math.floor(flat / 2) : flat;
  const idx = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = rest % shape[k];
    rest = Math.floor(rest / shape[k]);
  }
  return `[${idx.join(', ')}]${complex ? (flat % 2 ? '.im' : '.re') : ''}`;
}
