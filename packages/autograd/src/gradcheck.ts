/**
 * gradcheck: compare the tape's gradients with central finite differences, in float64 on the
 * CPU. The check projects the outputs on fixed random weights w (L = Σ w·out), so one backward
 * gives dL/dx for every input element, and each numeric derivative costs two forwards.
 * Complex inputs are perturbed in the real and the imaginary part; the expected gradient is
 * dL/dRe + i·dL/dIm (PyTorch's convention).
 */
import { Tensor, tensor } from '@sscan/core';
import { backward } from './backward';
import { noGrad } from './tape';

export interface GradcheckOptions {
  /** Finite-difference step. Default 1e-6 (float64: truncation ~eps², rounding ~1e-16/eps). */
  eps?: number;
  /** Default 1e-5. */
  atol?: number;
  /** Default 1e-3. */
  rtol?: number;
  /** Seed of the projection weights. Default 1. */
  seed?: number;
}

export interface GradcheckMismatch {
  input: number;
  /** Flat index into the input's stored values (complex: 2·element + 0 for re, 1 for im). */
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  passed: boolean;
  maxAbsError: number;
  checked: number;
  mismatches: GradcheckMismatch[];
}

export type GradcheckOutput = Tensor | readonly Tensor[] | { readonly [key: string]: Tensor };

function outputsOf(y: GradcheckOutput): Tensor[] {
  if (y instanceof Tensor) return [y];
  if (Array.isArray(y)) return [...(y as Tensor[])];
  return Object.values(y as Record<string, Tensor>);
}

/** Deterministic uniform(-1, 1) (mulberry32), so a failure reproduces from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

function writeValue(t: Tensor, index: number, value: number): void {
  const d = t.data('gradcheck');
  d.backend.write(
    d.storage,
    (t.offset * (t.dtype === 'complex128' ? 2 : 1) + index) * 8,
    new Uint8Array(Float64Array.of(value).buffer),
  );
}

/**
 * Check d(fn)/d(input) for every input with requiresGrad. Throws with the worst mismatches if
 * any |analytic − numeric| > atol + rtol·|numeric|; returns the report when all pass.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => GradcheckOutput,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  if (typeof fn !== 'function')
    throw new TypeError(`gradcheck: argument 'fn' must be a function, got ${typeof fn}`);
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor))
      throw new TypeError(`gradcheck: argument 'inputs[${i}]' must be a Tensor, got ${typeof t}`);
    if (t.device.type !== 'cpu' || (t.dtype !== 'float64' && t.dtype !== 'complex128')) {
      throw new RangeError(
        `gradcheck: argument 'inputs[${i}]' must be a float64 or complex128 tensor on the cpu (finite differences need the precision), got ${t.describe()}`,
      );
    }
  });
  // the analytic side: one backward of L = Σ w·out
  const rand = seededRandom(options.seed ?? 1);
  for (const t of inputs) {
    t.grad?.dispose();
    t.grad = null;
  }
  const outs = outputsOf(fn(...inputs));
  const weights = outs.map((o) => {
    const width = o.dtype.startsWith('complex') ? 2 : 1;
    return tensor(Array.from({ length: o.numel * width }, rand), o.shape, { dtype: o.dtype, device: 'cpu' });
  });
  const wValues = weights.map((w) => w.toArraySync());
  const differentiable = outs.map((o) => o.requiresGrad);
  if (!differentiable.some(Boolean))
    throw new TypeError('gradcheck: no output of fn requires grad (does any input have requiresGrad: true?)');
  backward(
    outs.filter((_, i) => differentiable[i]),
    weights.filter((_, i) => differentiable[i]),
  );
  for (const o of outs) o.dispose();
  const loss = (): number =>
    noGrad(() => {
      const ys = outputsOf(fn(...inputs));
      let s = 0;
      ys.forEach((y, j) => {
        const v = y.toArraySync();
        for (let i = 0; i < v.length; i++) s += wValues[j][i] * v[i];
        y.dispose();
      });
      return s;
    });
  const result: GradcheckResult = { passed: true, maxAbsError: 0, checked: 0, mismatches: [] };
  inputs.forEach((t, k) => {
    if (!t.requiresGrad) return;
    const analytic = t.grad ? t.grad.toArraySync() : new Float64Array(t.toArraySync().length);
    const values = t.toArraySync();
    for (let i = 0; i < values.length; i++) {
      const x0 = values[i];
      writeValue(t, i, x0 + eps);
      const up = loss();
      writeValue(t, i, x0 - eps);
      const down = loss();
      writeValue(t, i, x0);
      const numeric = (up - down) / (2 * eps);
      const err = Math.abs(analytic[i] - numeric);
      result.checked++;
      result.maxAbsError = Math.max(result.maxAbsError, err);
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        result.passed = false;
        result.mismatches.push({ input: k, index: i, analytic: analytic[i], numeric });
      }
    }
  });
  for (const w of weights) w.dispose();
  if (!result.passed) {
    const worst = [...result.mismatches]
      .sort((a, b) => Math.abs(b.analytic - b.numeric) - Math.abs(a.analytic - a.numeric))
      .slice(0, 5);
    const lines = worst.map(
      (m) => `  inputs[${m.input}] value ${m.index}: analytic ${m.analytic}, numeric ${m.numeric}`,
    );
    throw new Error(
      `gradcheck: ${result.mismatches.length} of ${result.checked} derivatives differ beyond atol ${atol} + rtol ${rtol}·|numeric|; worst:\n${lines.join('\n')}`,
    );
  }
  return result;
}
