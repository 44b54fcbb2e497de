/** Embedding lookup and its scatter-add gradient. Token ids travel in float tensors (exact < 2^24). */
import {
  checkFloat,
  checkLike,
  formatShape,
  invalidValue,
  newLike,
  type Tensor,
  withOutputs,
} from './op_utils';

/** Ids must be integers in [0, vocab): checked on the host so a kernel never reads out of bounds. */
function checkIds(fn: string, ids: Tensor, vocab: number): void {
  const values = ids.toArraySync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= vocab)
      throw invalidValue(fn, 'ids', `integer token ids in [0, ${vocab})`, `${v} at flat index ${i}`);
  }
}

/** weight[ids]: out shape ids.shape + (dim). weight (vocab, dim). */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  const fn = 'embedding';
  const w = checkFloat(fn, 'weight', weight);
  if (w.rank !== 2) throw invalidValue(fn, 'weight', 'shape (vocab, dim)', formatShape(w.shape));
  const i = checkLike(fn, 'ids', ids, w, 'weight');
  checkIds(fn, i, w.shape[0]);
  const out = newLike(w, [...i.shape, w.shape[1]]);
  withOutputs([out], () => w.backend.embedding({ weight: w.ref(fn), ids: i.ref(fn), out: out.ref(fn) }));
  return out;
}

/** dWeight (vocab, dim): rows of dy (ids.shape + (dim)) added at their ids. */
export function embeddingBackward(dy: Tensor, ids: Tensor, vocab: number): Tensor {
  const fn = 'embeddingBackward';
  const g = checkFloat(fn, 'dy', dy);
  const i = checkLike(fn, 'ids', ids, g, 'dy');
  if (g.shape.join() !== [...i.shape, g.shape[g.rank - 1]].join())
    throw invalidValue(
      fn,
      'dy',
      `shape ids.shape + (dim) = ${formatShape([...i.shape, g.shape[g.rank - 1]])}`,
      formatShape(g.shape),
    );
  checkIds(fn, i, vocab);
  const dWeight = newLike(g, [vocab, g.shape[g.rank - 1]]);
  withOutputs([dWeight], () =>
    g.backend.embeddingBackward({ ids: i.ref(fn), dy: g.ref(fn), dWeight: dWeight.ref(fn) }),
  );
  return dWeight;
}
