/**
 * Depthwise causal conv1d: out[b,c,t] = bias[c] + Σ_k w[c,k] · x[b,c,t−(W−1)+k], x = 0 before
 * t = 0 (the left padding of mamba's conv, without materialising the padded copy).
 */
import type { CausalConv1dArgs } from '../../kernel_names';
import { num } from './strided';

export function causalConv1dCpu({ x, weight, bias, out }: CausalConv1dArgs): void {
  const [batch, channels, seqlen] = x.shape;
  const width = weight.shape[1];
  const X = num(x);
  const Wt = num(weight);
  const Bs = bias ? num(bias) : null;
  const O = num(out);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const row = (b * channels + c) * seqlen;
      const xr = x.offset + row;
      const orow = out.offset + row;
      const wr = weight.offset + c * width;
      const b0 = Bs ? Bs[bias!.offset + c] : 0;
      for (let t = 0; t < seqlen; t++) {
        let s = b0;
        const start = t - (width - 1);
        for (let kk = start < 0 ? -start : 0; kk < width; kk++) s += Wt[wr + kk] * X[xr + start + kk];
        O[orow + t] = s;
      }
    }
  }
}
