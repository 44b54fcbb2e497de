/** Causal depthwise conv1d (Mamba's short conv) and its backward. */
import {
  checkFloat,
  checkLike,
  formatShape,
  invalidValue,
  newLike,
  type Tensor,
  withOutputs,
} from './op_utils';

/** Widths up to 8 cover every released Mamba (d_conv = 4) and keep GPU kernels in registers. */
export const MAX_CONV_WIDTH = 8;

function checkConv(
  fn: string,
  x: unknown,
  weight: unknown,
  bias: unknown,
): { tx: Tensor; w: Tensor; b: Tensor | null } {
  const tx = checkFloat(fn, 'x', x);
  if (tx.rank !== 3) throw invalidValue(fn, 'x', 'shape (batch, channels, seqlen)', formatShape(tx.shape));
  const w = checkLike(fn, 'weight', weight, tx, 'x');
  if (w.rank !== 2 || w.shape[0] !== tx.shape[1] || w.shape[1] < 1 || w.shape[1] > MAX_CONV_WIDTH) {
    throw invalidValue(
      fn,
      'weight',
      `shape (channels=${tx.shape[1]}, width in 1..${MAX_CONV_WIDTH})`,
      formatShape(w.shape),
    );
  }
  const b = bias === undefined || bias === null ? null : checkLike(fn, 'bias', bias, tx, 'x');
  if (b && (b.rank !== 1 || b.shape[0] !== tx.shape[1]))
    throw invalidValue(fn, 'bias', `shape (${tx.shape[1]})`, formatShape(b.shape));
  return { tx, w, b };
}

/** out[b,c,t] = bias[c] + Σ_k weight[c,k] · x[b,c,t−(width−1)+k] (zeros before the start). */
export function causalConv1d(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const fn = 'causalConv1d';
  const { tx, w, b } = checkConv(fn, x, weight, bias);
  const out = newLike(tx, tx.shape);
  withOutputs([out], () =>
    tx.backend.causalConv1d({ x: tx.ref(fn), weight: w.ref(fn), bias: b?.ref(fn) ?? null, out: out.ref(fn) }),
  );
  return out;
}

/** Gradients of causalConv1d for x, weight and (when hasBias) bias. */
export function causalConv1dBackward(
  dy: Tensor,
  x: Tensor,
  weight: Tensor,
  hasBias: boolean,
): { dx: Tensor; dWeight: Tensor; dBias: Tensor | null } {
  const fn = 'causalConv1dBackward';
  const { tx, w } = checkConv(fn, x, weight, null);
  const g = checkLike(fn, 'dy', dy, tx, 'x');
  if (g.shape.join() !== tx.shape.join())
    throw invalidValue(fn, 'dy', `shape ${formatShape(tx.shape)} like 'x'`, formatShape(g.shape));
  const dx = newLike(tx, tx.shape);
  const dWeight = newLike(tx, w.shape);
  const dBias = hasBias ? newLike(tx, [w.shape[0]]) : null;
  withOutputs(dBias ? [dx, dWeight, dBias] : [dx, dWeight], () =>
    tx.backend.causalConv1dBackward({
      x: tx.ref(fn),
      weight: w.ref(fn),
      dy: g.ref(fn),
      dx: dx.ref(fn),
      dWeight: dWeight.ref(fn),
      dBias: dBias?.ref(fn) ?? null,
    }),
  );
  return { dx, dWeight, dBias };
}
