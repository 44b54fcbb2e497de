/**
 * Backward of the depthwise causal conv: dx[t] = Σ_k w[k]·dy[t+(W−1)−k] (inside the row),
 * dw[c,k] = Σ_{b,t} dy[b,c,t]·x[b,c,t−(W−1)+k], dbias[c] = Σ_{b,t} dy[b,c,t].
 */
import type { CausalConv1dBackwardArgs } from '../../kernel_names';
import { num } from './strided';

export function causalConv1dBackwardCpu({
  x,
  weight,
  dy,
  dx,
  dWeight,
  dBias,
}: CausalConv1dBackwardArgs): void {
  const [batch, channels, seqlen] = x.shape;
  const width = weight.shape[1];
  const X = num(x);
  const Wt = num(weight);
  const G = num(dy);
  const DX = num(dx);
  const DW = num(dWeight);
  const DB = dBias ? num(dBias) : null;
  const dw = new Float64Array(width);
  for (let c = 0; c < channels; c++) {
    const wr = weight.offset + c * width;
    dw.fill(0);
    let db = 0;
    for (let b = 0; b < batch; b++) {
      const row = (b * channels + c) * seqlen;
      const xr = x.offset + row;
      const gr = dy.offset + row;
      const dxr = dx.offset + row;
      for (let t = 0; t < seqlen; t++) {
        // dx[t] gathers the outputs t' = t + (W−1) − k that read x[t]
        let s = 0;
        for (let kk = 0; kk < width; kk++) {
          const tp = t + (width - 1) - kk;
          if (tp < seqlen) s += Wt[wr + kk] * G[gr + tp];
        }
        DX[dxr + t] = s;
        const g = G[gr + t];
        db += g;
        const start = t - (width - 1);
        for (let kk = start < 0 ? -start : 0; kk < width; kk++) dw[kk] += g * X[xr + start + kk];
      }
    }
    for (let kk = 0; kk < width; kk++) DW[dWeight.offset + c * width + kk] = dw[kk];
    if (DB) DB[dBias!.offset + c] = db;
  }
}
