/** Sum a broadcast gradient back down to the shape of the operand that was broadcast. */
import { sum, type Tensor } from '@sscan/core';

export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  if (axes.length === 0) return g;
  const s = sum(g, axes, true);
  const r = s.reshape(shape);
  s.dispose();
  return r;
}
