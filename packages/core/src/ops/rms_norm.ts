/** RMSNorm over the last axis (Mamba's norm) and its backward. */
import {
  checkFloat,
  checkLike,
  formatShape,
  invalidType,
  invalidValue,
  newLike,
  type Tensor,
  withOutputs,
} from './op_utils';

function checkNorm(fn: string, x: unknown, weight: unknown, eps: unknown): { tx: Tensor; w: Tensor } {
  const tx = checkFloat(fn, 'x', x);
  if (tx.rank < 1) throw invalidValue(fn, 'x', 'rank ≥ 1', formatShape(tx.shape));
  const w = checkLike(fn, 'weight', weight, tx, 'x');
  if (w.rank !== 1 || w.shape[0] !== tx.shape[tx.rank - 1])
    throw invalidValue(
      fn,
      'weight',
      `shape (${tx.shape[tx.rank - 1]}) = x's last axis`,
      formatShape(w.shape),
    );
  if (typeof eps !== 'number' || !(eps > 0)) throw invalidType(fn, 'eps', 'a positive number', eps);
  return { tx, w };
}

/** x / sqrt(mean(x², last axis) + eps) · weight. Mamba's default eps is 1e-5. */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-5): Tensor {
  const fn = 'rmsNorm';
  const { tx, w } = checkNorm(fn, x, weight, eps);
  const out = newLike(tx, tx.shape);
  withOutputs([out], () => tx.backend.rmsNorm({ x: tx.ref(fn), weight: w.ref(fn), out: out.ref(fn), eps }));
  return out;
}

/** Gradients of rmsNorm for x and weight. */
export function rmsNormBackward(
  dy: Tensor,
  x: Tensor,
  weight: Tensor,
  eps = 1e-5,
): { dx: Tensor; dWeight: Tensor } {
  const fn = 'rmsNormBackward';
  const { tx, w } = checkNorm(fn, x, weight, eps);
  const g = checkLike(fn, 'dy', dy, tx, 'x');
  if (g.shape.join() !== tx.shape.join())
    throw invalidValue(fn, 'dy', `shape ${formatShape(tx.shape)} like 'x'`, formatShape(g.shape));
  const dx = newLike(tx, tx.shape);
  const dWeight = newLike(tx, w.shape);
  withOutputs([dx, dWeight], () =>
    tx.backend.rmsNormBackward({
      x: tx.ref(fn),
      weight: w.ref(fn),
      dy: g.ref(fn),
      dx: dx.ref(fn),
      dWeight: dWeight.ref(fn),
      eps,
    }),
  );
  return { dx, dWeight };
}
