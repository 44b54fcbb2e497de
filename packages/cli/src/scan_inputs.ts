/**
 * Random scan inputs that look like a Mamba layer's, and the calls that run the scan on
 * them. Shared by check and bench, so both exercise the same operator call.
 */
import {
  bytesPerElement,
  type DType,
  empty,
  isComplex,
  type SelectiveScanGradients,
  selectiveScan,
  selectiveScanBackward,
  type Tensor,
  tensor,
} from '@sscan/core';
import type { ScanDType, ScanShape } from './shapes';

/** Which optional parts of the operator a run uses. A Mamba layer uses them all. */
export interface ScanFeatures {
  readonly z: boolean;
  readonly D: boolean;
  readonly deltaBias: boolean;
  readonly softplus: boolean;
  /** Variable B and C (batch, 1, dstate, seqlen) rather than constant (dim, dstate). */
  readonly variableBC: boolean;
  /** Complex A, B and C (complex64; complex128 with float64 inputs). */
  readonly complex: boolean;
}

export const MAMBA_LAYER_FEATURES: ScanFeatures = {
  z: true,
  D: true,
  deltaBias: true,
  softplus: true,
  variableBC: true,
  complex: false,
};

export function describeFeatures(f: ScanFeatures): string {
  const on = [f.variableBC ? 'variable B/C' : 'constant B/C'];
  if (f.complex) on.push('complex A/B/C');
  if (f.D) on.push('D');
  if (f.z) on.push('z');
  if (f.deltaBias) on.push('deltaBias');
  if (f.softplus) on.push('softplus');
  return on.join(', ');
}

export interface ScanInputs {
  readonly u: Tensor;
  readonly delta: Tensor;
  readonly A: Tensor;
  readonly B: Tensor;
  readonly C: Tensor;
  readonly D: Tensor | null;
  readonly z: Tensor | null;
  readonly deltaBias: Tensor | null;
  /** dL/d out for the backward. */
  readonly gradOut: Tensor;
}

/** mulberry32: small, fast, and the same sequence on every machine for a given seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POOL_SIZE = 1 << 16;

/**
 * n standard normals (times scale). Box–Muller fills a pool of 65536 and the rest are drawn
 * from it: the shapes bench uses hold ~10^8 elements, and log/sqrt/cos per element would
 * take longer than the benchmark. Draws stay uniform over the pool, so the values are as
 * normal as the check needs.
 */
function normals(n: number, next: () => number, scale = 1): Float64Array {
  const pool = new Float64Array(Math.min(n, POOL_SIZE));
  for (let i = 0; i < pool.length; i += 2) {
    // 1 − r keeps log away from 0.
    const r = Math.sqrt(-2 * Math.log(1 - next())) * scale;
    const theta = 2 * Math.PI * next();
    pool[i] = r * Math.cos(theta);
    if (i + 1 < pool.length) pool[i + 1] = r * Math.sin(theta);
  }
  if (n <= POOL_SIZE) return pool;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = pool[(next() * POOL_SIZE) | 0];
  return out;
}

/**
 * Inputs as Mamba initialises and feeds them: A = −(1..dstate) per channel (A_log =
 * log(arange(1, N+1))), deltaBias = softplus⁻¹ of a log-uniform step in [0.001, 0.1] (dt_proj's
 * bias init), delta small around it, u, B, C, z and D standard normal.
 */
export function randomInputs(
  s: ScanShape,
  dtype: ScanDType,
  device: string,
  features: ScanFeatures,
  seed: number,
): ScanInputs {
  const next = rng(seed);
  const { batch, dim, seqlen, dstate } = s;
  const act = [batch, dim, seqlen];
  const weightDtype = dtype === 'float64' ? 'float64' : 'float32';
  const complexDtype = dtype === 'float64' ? 'complex128' : 'complex64';
  const on = (values: ArrayLike<number>, shape: number[], dt: DType) =>
    tensor(values, shape, { dtype: dt, device });

  // Real: A = −(n+1). Complex: S4D-Lin's A = −1/2 + iπn, stored as interleaved (re, im).
  const width = features.complex ? 2 : 1;
  const A = new Float64Array(dim * dstate * width);
  for (let d = 0; d < dim; d++) {
    for (let n = 0; n < dstate; n++) {
      const i = (d * dstate + n) * width;
      if (features.complex) {
        A[i] = -0.5;
        A[i + 1] = Math.PI * n;
      } else {
        A[i] = -(n + 1);
      }
    }
  }

  let delta: Float64Array;
  if (features.softplus) {
    delta = normals(batch * dim * seqlen, next, 0.5);
  } else {
    // Without softplus the kernel takes delta as the step itself: keep it positive and small.
    delta = new Float64Array(batch * dim * seqlen);
    for (let i = 0; i < delta.length; i++) delta[i] = 0.001 + 0.1 * next();
  }
  const bias = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    const dt = Math.exp(Math.log(0.001) + next() * (Math.log(0.1) - Math.log(0.001)));
    bias[d] = features.softplus ? dt + Math.log(-Math.expm1(-dt)) : 0.01 * dt;
  }
  const bcShape = features.variableBC ? [batch, 1, dstate, seqlen] : [dim, dstate];
  // Variable B/C share u's dtype when real; complex ones are always complex, like A.
  const bcDtype = features.complex ? complexDtype : features.variableBC ? dtype : weightDtype;
  const bcCount = (features.variableBC ? batch * dstate * seqlen : dim * dstate) * width;
  const bcScale = features.complex ? Math.SQRT1_2 : 1; // unit variance per complex value

  return {
    u: on(normals(batch * dim * seqlen, next), act, dtype),
    delta: on(delta, act, dtype),
    A: on(A, [dim, dstate], features.complex ? complexDtype : weightDtype),
    B: on(normals(bcCount, next, bcScale), bcShape, bcDtype),
    C: on(normals(bcCount, next, bcScale), bcShape, bcDtype),
    D: features.D ? on(normals(dim, next), [dim], weightDtype) : null,
    z: features.z ? on(normals(batch * dim * seqlen, next), act, dtype) : null,
    deltaBias: features.deltaBias ? on(bias, [dim], weightDtype) : null,
    gradOut: on(normals(batch * dim * seqlen, next), act, dtype),
  };
}

function mapInputs(x: ScanInputs, fn: (t: Tensor) => Tensor): ScanInputs {
  return {
    u: fn(x.u),
    delta: fn(x.delta),
    A: fn(x.A),
    B: fn(x.B),
    C: fn(x.C),
    D: x.D && fn(x.D),
    z: x.z && fn(x.z),
    deltaBias: x.deltaBias && fn(x.deltaBias),
    gradOut: fn(x.gradOut),
  };
}

/** The same values on another device (a copy, even on the same device, so disposal is independent). */
export function copyInputs(x: ScanInputs, device: string): ScanInputs {
  return mapInputs(x, (t) =>
    t.deviceName === device ? tensor(t.toArraySync(), t.shape, { dtype: t.dtype, device }) : t.to(device),
  );
}

/**
 * The same values in fresh memory on the same device, by device-to-device copies: how bench
 * makes its extra input sets without paying for random numbers and host uploads each time
 * (caches key on addresses, not values, so copies defeat them as well as new values would).
 */
export function cloneInputs(x: ScanInputs): ScanInputs {
  return mapInputs(x, (t) => {
    const out = empty(t.shape, { dtype: t.dtype, device: t.deviceName });
    const src = t.ref('cloneInputs');
    const dst = out.ref('cloneInputs');
    const size = bytesPerElement(t.dtype);
    t.backend.copy(dst.storage, dst.offset * size, src.storage, src.offset * size, t.byteLength);
    return out;
  });
}

/** The same values widened exactly to float64 on the CPU: the reference for the CPU backend. */
export function widenInputs(x: ScanInputs): ScanInputs {
  return mapInputs(x, (t) =>
    tensor(t.toArraySync(), t.shape, { dtype: isComplex(t.dtype) ? 'complex128' : 'float64', device: 'cpu' }),
  );
}

export function disposeInputs(x: ScanInputs): void {
  for (const t of Object.values(x)) (t as Tensor | null)?.dispose();
}

export function scanForward(x: ScanInputs, f: ScanFeatures): Tensor {
  return selectiveScan(x.u, x.delta, x.A, x.B, x.C, {
    D: x.D,
    z: x.z,
    deltaBias: x.deltaBias,
    deltaSoftplus: f.softplus,
  });
}

export function scanBackward(x: ScanInputs, f: ScanFeatures): SelectiveScanGradients {
  return selectiveScanBackward(x.gradOut, x.u, x.delta, x.A, x.B, x.C, {
    D: x.D,
    z: x.z,
    deltaBias: x.deltaBias,
    deltaSoftplus: f.softplus,
  });
}

export function disposeGradients(g: SelectiveScanGradients): void {
  for (const t of Object.values(g)) (t as Tensor | null)?.dispose();
}

/** Bytes of every tensor of a scan call read or written, for GB/s. */
export function tensorBytes(...tensors: (Tensor | null)[]): number {
  let bytes = 0;
  for (const t of tensors) if (t) bytes += t.byteLength;
  return bytes;
}
