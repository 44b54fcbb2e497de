/** dWeight = 0, then dWeight[ids[i], :] += dy[i, :]: repeated ids accumulate. */
import type { EmbeddingBackwardArgs } from '../../kernel_names';
import { num } from './strided';

export function embeddingBackwardCpu({ ids, dy, dWeight }: EmbeddingBackwardArgs): void {
  const [vocab, dim] = dWeight.shape;
  const n = ids.shape.reduce((a, b) => a * b, 1);
  const I = num(ids);
  const G = num(dy);
  const DW = num(dWeight);
  DW.fill(0, dWeight.offset, dWeight.offset + vocab * dim);
  for (let i = 0; i < n; i++) {
    const dst = dWeight.offset + I[ids.offset + i] * dim;
    const src = dy.offset + i * dim;
    for (let j = 0; j < dim; j++) DW[dst + j] += G[src + j];
  }
}
