/** Gradient of RMSNorm: the RMSNormBackward kernel recomputes the row scale from the saved input. */
import { rmsNormBackward, type Tensor } from '@sscan/core';
import type { BackwardFn } from '../tape';

export function rmsNormGrad(x: Tensor, weight: Tensor, eps: number): BackwardFn {
  return ([dy]) => {
    if (!dy) return [null, null];
    const g = rmsNormBackward(dy, x, weight, eps);
    return [g.dx, g.dWeight];
  };
}
