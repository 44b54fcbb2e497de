/** RMSNorm over the last axis: out = x · rsqrt(mean(x²) + eps) · weight. */
import type { RMSNormArgs } from '../../kernel_names';
import { num } from './strided';

export function rmsNormCpu({ x, weight, out, eps }: RMSNormArgs): void {
  const dim = x.shape[x.shape.length - 1];
  const rows = dim === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / dim;
  const X = num(x);
  const Wt = num(weight);
  const O = num(out);
  for (let r = 0; r < rows; r++) {
    const xr = x.offset + r * dim;
    const orow = out.offset + r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += X[xr + i] * X[xr + i];
    const rstd = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) O[orow + i] = X[xr + i] * rstd * Wt[weight.offset + i];
  }
}
