/**
 * Mean cross-entropy over counted rows: logsumexp(logits[r]) − logits[r, target]. The row max is
 * subtracted before exp so large logits cannot overflow.
 */
import type { CrossEntropyArgs } from '../../kernel_names';
import { num } from './strided';

export function crossEntropyCpu({ logits, targets, loss, ignoreIndex }: CrossEntropyArgs): void {
  const [rows, classes] = logits.shape;
  const L = num(logits);
  const T = num(targets);
  let total = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const target = T[targets.offset + r];
    if (target === ignoreIndex) continue;
    const base = logits.offset + r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (L[base + c] > max) max = L[base + c];
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(L[base + c] - max);
    total += max + Math.log(s) - L[base + target];
    count++;
  }
  num(loss)[loss.offset] = count === 0 ? 0 : total / count;
}
