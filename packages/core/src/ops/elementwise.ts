/**
 * add, sub, mul, div with numpy broadcasting. A number operand becomes a scalar tensor of the
 * other operand's dtype and device.
 */
import type { BinaryOp } from '../kernel_names';
import { tensor } from '../tensor';
import {
  broadcastRef,
  broadcastShapes,
  checkFloat,
  checkLike,
  newLike,
  type Tensor,
  withOutputs,
} from './op_utils';

function binary(op: BinaryOp, a: Tensor | number, b: Tensor | number): Tensor {
  const fn = op;
  if (typeof a === 'number' && typeof b === 'number') {
    throw new TypeError(`${fn}: at least one of 'a' and 'b' must be a Tensor, got two numbers`);
  }
  const ta = typeof a === 'number' ? scalarLike(a, b as Tensor) : checkFloat(fn, 'a', a);
  const tb = typeof b === 'number' ? scalarLike(b, ta) : checkLike(fn, 'b', b, ta, 'a');
  const shape = broadcastShapes(fn, ta.shape, tb.shape);
  const out = newLike(ta, shape);
  try {
    withOutputs([out], () =>
      ta.backend.binary({
        op,
        a: broadcastRef(fn, ta, shape),
        b: broadcastRef(fn, tb, shape),
        out: out.ref(fn),
      }),
    );
  } finally {
    if (typeof a === 'number') ta.dispose();
    if (typeof b === 'number') tb.dispose();
  }
  return out;
}

function scalarLike(value: number, like: Tensor): Tensor {
  return tensor([value], [], { dtype: like.dtype, device: like.deviceName });
}

/** a + b (broadcasting). */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('add', a, b);
}
/** a − b (broadcasting). */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('sub', a, b);
}
/** a · b (broadcasting). */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('mul', a, b);
}
/** a / b (broadcasting). */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('div', a, b);
}
