/**
 * Backward of RMSNorm with x̂ = x·r, r = rsqrt(mean(x²) + eps), g = dy·w:
 *   dx = r · (g − x̂ · mean(g · x̂)),   dw = Σ_rows dy · x̂.
 * r is recomputed per row (one extra pass over x) instead of being stored by the forward.
 */
import type { RMSNormBackwardArgs } from '../../kernel_names';
import { num } from './strided';

export function rmsNormBackwardCpu({ x, weight, dy, dx, dWeight, eps }: RMSNormBackwardArgs): void {
  const dim = x.shape[x.shape.length - 1];
  const rows = dim === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / dim;
  const X = num(x);
  const Wt = num(weight);
  const G = num(dy);
  const DX = num(dx);
  const DW = num(dWeight);
  const dw = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    const xr = x.offset + r * dim;
    const gr = dy.offset + r * dim;
    const dxr = dx.offset + r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += X[xr + i] * X[xr + i];
    const rstd = 1 / Math.sqrt(ss / dim + eps);
    let dot = 0;
    for (let i = 0; i < dim; i++) {
      const xh = X[xr + i] * rstd;
      dot += G[gr + i] * Wt[weight.offset + i] * xh;
      dw[i] += G[gr + i] * xh;
    }
    const mean = dot / dim;
    for (let i = 0; i < dim; i++)
      DX[dxr + i] = rstd * (G[gr + i] * Wt[weight.offset + i] - X[xr + i] * rstd * mean);
  }
  for (let i = 0; i < dim; i++) DW[dWeight.offset + i] = dw[i];
}
