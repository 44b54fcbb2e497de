/** out[i, :] = weight[ids[i], :] (ids checked by the op). */
import type { EmbeddingArgs } from '../../kernel_names';
import { num } from './strided';

export function embeddingCpu({ weight, ids, out }: EmbeddingArgs): void {
  const dim = weight.shape[1];
  const n = ids.shape.reduce((a, b) => a * b, 1);
  const Wt = num(weight);
  const I = num(ids);
  const O = num(out);
  for (let i = 0; i < n; i++) {
    const src = weight.offset + I[ids.offset + i] * dim;
    const dst = out.offset + i * dim;
    for (let j = 0; j < dim; j++) O[dst + j] = Wt[src + j];
  }
}
