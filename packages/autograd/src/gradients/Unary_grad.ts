/** Gradients of the Unary kernel: one fused UnaryGrad pass, dx = dy · f'(x), from the saved input. */
import { type Tensor, type UnaryOp, unaryBackward } from '@sscan/core';
import type { BackwardFn } from '../tape';

export function unaryGrad(op: UnaryOp, x: Tensor): BackwardFn {
  return ([dy]) => [dy ? unaryBackward(op, x, dy) : null];
}
