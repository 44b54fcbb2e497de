/** matmul (rank 2 or batched rank 3, optional transposes) and linear (x · Wᵀ + b). */
import { add } from './elementwise';
import {
  checkFloat,
  checkLike,
  formatShape,
  invalidValue,
  newLike,
  type Tensor,
  withOutputs,
} from './op_utils';
import { checkBoolean, checkOptionsObject } from './validate';

export interface MatMulOptions {
  /** Use aᵀ (the last two axes swapped). Default false. */
  transposeA?: boolean;
  /** Use bᵀ (the last two axes swapped). Default false. */
  transposeB?: boolean;
}

/**
 * a (M, K) · b (K, N) → (M, N); or batched a (batch, M, K) with b (batch, K, N) or (K, N)
 * (one b shared by every batch entry, as for a weight).
 */
export function matmul(a: Tensor, b: Tensor, options?: MatMulOptions): Tensor {
  const fn = 'matmul';
  const opts = checkOptionsObject(fn, 'options', options, ['transposeA', 'transposeB']);
  const transposeA = checkBoolean(fn, 'options.transposeA', opts.transposeA, false);
  const transposeB = checkBoolean(fn, 'options.transposeB', opts.transposeB, false);
  const ta = checkFloat(fn, 'a', a);
  const tb = checkLike(fn, 'b', b, ta, 'a');
  if (ta.rank !== 2 && ta.rank !== 3)
    throw invalidValue(fn, 'a', 'rank 2 (M, K) or rank 3 (batch, M, K)', formatShape(ta.shape));
  if (tb.rank !== 2 && tb.rank !== 3)
    throw invalidValue(fn, 'b', 'rank 2 (K, N) or rank 3 (batch, K, N)', formatShape(tb.shape));
  const batch = ta.rank === 3 ? ta.shape[0] : 1;
  if (tb.rank === 3 && (ta.rank !== 3 || tb.shape[0] !== batch)) {
    throw invalidValue(
      fn,
      'b',
      `a batch of ${batch} matching a ${formatShape(ta.shape)}, or rank 2`,
      formatShape(tb.shape),
    );
  }
  const [ar, ac] = ta.shape.slice(-2);
  const [br, bc] = tb.shape.slice(-2);
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  if (k !== kb)
    throw invalidValue(
      fn,
      'b',
      `${transposeB ? 'last' : 'first'} matrix axis of ${k} to match a's inner size (a ${formatShape(ta.shape)}${transposeA ? ', transposed' : ''})`,
      formatShape(tb.shape),
    );
  const out = newLike(ta, ta.rank === 3 ? [batch, m, n] : [m, n]);
  const aRef = ta.ref(fn);
  const bRef = tb.ref(fn);
  withOutputs([out], () =>
    ta.backend.matMul({
      a: { ...aRef, shape: [batch, ar, ac] },
      b: { ...bRef, shape: [tb.rank === 3 ? batch : 1, br, bc] },
      out: { ...out.ref(fn), shape: [batch, m, n] },
      transposeA,
      transposeB,
      batch,
      m,
      n,
      k,
    }),
  );
  return out;
}

/** x (..., in) · weightᵀ (weight (out, in), as torch.nn.Linear) + bias (out). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const fn = 'linear';
  const tx = checkFloat(fn, 'x', x);
  const w = checkLike(fn, 'weight', weight, tx, 'x');
  if (w.rank !== 2 || tx.rank < 1 || w.shape[1] !== tx.shape[tx.rank - 1]) {
    throw invalidValue(
      fn,
      'weight',
      `shape (out, ${tx.shape[tx.rank - 1]}) for x ${formatShape(tx.shape)}`,
      formatShape(w.shape),
    );
  }
  const rows = tx.numel / tx.shape[tx.rank - 1];
  const flat = tx.reshape([rows, w.shape[1]]);
  const y = matmul(flat, w, { transposeB: true });
  flat.dispose();
  const shaped = y.reshape([...tx.shape.slice(0, -1), w.shape[0]]);
  y.dispose();
  if (bias === undefined || bias === null) return shaped;
  const b = checkLike(fn, 'bias', bias, tx, 'x');
  if (b.rank !== 1 || b.shape[0] !== w.shape[0])
    throw invalidValue(fn, 'bias', `shape (${w.shape[0]})`, formatShape(b.shape));
  try {
    return add(shaped, b);
  } finally {
    shaped.dispose();
  }
}
