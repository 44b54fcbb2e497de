/** Gradient of Sum (and mean, scaled): dy broadcast back over the reduced axes. */
import { broadcastTo, mul, type Tensor } from '@sscan/core';
import type { BackwardFn } from '../tape';

export function sumGrad(xShape: readonly number[], axes: readonly number[], scale = 1): BackwardFn {
  const kept = xShape.map((s, i) => (axes.includes(i) ? 1 : s));
  return ([dy]) => {
    if (!dy) return [null];
    const r = dy.reshape(kept);
    const b = broadcastTo(r, xShape);
    r.dispose();
    if (scale === 1) return [b];
    const s = mul(b, scale);
    b.dispose();
    return [s];
  };
}

export function reducedAxes(rank: number, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  return list.map((a) => (a < 0 ? a + rank : a));
}

export type { Tensor };
