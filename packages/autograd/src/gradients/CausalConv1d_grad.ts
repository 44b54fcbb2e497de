/** Gradient of CausalConv1d: one CausalConv1dBackward kernel for x, weight and bias. */
import { causalConv1dBackward, type Tensor } from '@sscan/core';
import type { BackwardFn } from '../tape';

export function causalConv1dGrad(x: Tensor, weight: Tensor, bias: Tensor | null): BackwardFn {
  return ([dy]) => {
    if (!dy) return [null, null, null];
    const g = causalConv1dBackward(dy, x, weight, bias !== null);
    return [g.dx, g.dWeight, g.dBias];
  };
}
