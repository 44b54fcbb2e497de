/** Elementwise functions and their fused derivative dx = dy · f'(x). */
import type { UnaryOp } from '../kernel_names';
import {
  checkFloat,
  checkLike,
  formatShape,
  invalidValue,
  newLike,
  type Tensor,
  withOutputs,
} from './op_utils';

const UNARY_OPS: readonly UnaryOp[] = ['neg', 'exp', 'log', 'sigmoid', 'silu', 'softplus'];

function unary(op: UnaryOp, x: Tensor): Tensor {
  const t = checkFloat(op, 'x', x);
  const out = newLike(t, t.shape);
  withOutputs([out], () => t.backend.unary({ op, x: t.ref(op), out: out.ref(op) }));
  return out;
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** x · sigmoid(x). */
export const silu = (x: Tensor): Tensor => unary('silu', x);
/** log(1 + eˣ), and x itself above 20 (the scan's cut-off). */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);

/** dy · f'(x) for one of the unary ops: what their gradients call. */
export function unaryBackward(op: UnaryOp, x: Tensor, dy: Tensor): Tensor {
  const fn = 'unaryBackward';
  if (!UNARY_OPS.includes(op))
    throw invalidValue(fn, 'op', `one of ${UNARY_OPS.join(', ')}`, `'${String(op)}'`);
  const tx = checkFloat(fn, 'x', x);
  const g = checkLike(fn, 'dy', dy, tx, 'x');
  if (g.shape.join() !== tx.shape.join())
    throw invalidValue(fn, 'dy', `shape ${formatShape(tx.shape)} like 'x'`, formatShape(g.shape));
  const dx = newLike(tx, tx.shape);
  withOutputs([dx], () => tx.backend.unaryGrad({ op, x: tx.ref(fn), dy: g.ref(fn), dx: dx.ref(fn) }));
  return dx;
}
