/** dLogits = (softmax − onehot(target)) · dLoss / count on counted rows; ignored rows get 0. */
import type { CrossEntropyBackwardArgs } from '../../kernel_names';
import { num } from './strided';

export function crossEntropyBackwardCpu({
  logits,
  targets,
  dLoss,
  dLogits,
  ignoreIndex,
}: CrossEntropyBackwardArgs): void {
  const [rows, classes] = logits.shape;
  const L = num(logits);
  const T = num(targets);
  const D = num(dLogits);
  let count = 0;
  for (let r = 0; r < rows; r++) if (T[targets.offset + r] !== ignoreIndex) count++;
  const g = count === 0 ? 0 : num(dLoss)[dLoss.offset] / count;
  for (let r = 0; r < rows; r++) {
    const target = T[targets.offset + r];
    const base = logits.offset + r * classes;
    const out = dLogits.offset + r * classes;
    if (target === ignoreIndex) {
      D.fill(0, out, out + classes);
      continue;
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (L[base + c] > max) max = L[base + c];
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(L[base + c] - max);
    const inv = g / s;
    for (let c = 0; c < classes; c++) D[out + c] = Math.exp(L[base + c] - max) * inv;
    D[out + target] -= g;
  }
}
