/**
 * Gradients of the Binary kernel (add, sub, mul, div). Saves nothing beyond the inputs; a
 * number operand (null input) gets no gradient. Broadcast operands get the summed gradient.
 */
import { type BinaryOp, div, mul, neg, type Tensor } from '@sscan/core';
import type { BackwardFn } from '../tape';
import { unbroadcast } from './unbroadcast';

export function binaryGrad(op: BinaryOp, a: Tensor | number, b: Tensor | number): BackwardFn {
  // only operands that require grad get one (a weight-only or constant operand costs nothing)
  const shapeOf = (x: Tensor | number) => (typeof x === 'number' || !x.requiresGrad ? null : x.shape);
  return ([dy]) => {
    if (!dy) return [null, null];
    const sa = shapeOf(a);
    const sb = shapeOf(b);
    const reduce = (g: Tensor, shape: readonly number[] | null): Tensor | null => {
      if (!shape) {
        g.dispose();
        return null;
      }
      const r = unbroadcast(g, shape);
      if (r !== g) g.dispose();
      return r;
    };
    switch (op) {
      case 'add':
        return [sa ? unbroadcast(dy, sa) : null, sb ? unbroadcast(dy, sb) : null];
      case 'sub':
        return [sa ? unbroadcast(dy, sa) : null, sb ? reduce(neg(dy), sb) : null];
      case 'mul':
        return [sa ? reduce(mul(dy, b), sa) : null, sb ? reduce(mul(dy, a), sb) : null];
      case 'div': {
        // d(a/b)/da = 1/b;  d(a/b)/db = −a/b² = −(dy/b)·(a/b)
        const t = div(dy, b);
        let gb: Tensor | null = null;
        if (sb) {
          const q = div(a, b);
          const p = mul(t, q);
          q.dispose();
          gb = reduce(neg(p), sb);
          p.dispose();
        }
        let ga: Tensor | null = null;
        if (sa) ga = reduce(t, sa);
        else t.dispose();
        return [ga, gb];
      }
    }
  };
}
