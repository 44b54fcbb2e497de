/** Cross-entropy from logits with an ignore index, mean over counted rows, and its backward. */
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
import { checkOptionsObject } from './validate';

export interface CrossEntropyOptions {
  /** Rows whose target equals this do not count (as PyTorch's default, -100). */
  ignoreIndex?: number;
}

function checkCE(
  fn: string,
  logits: unknown,
  targets: unknown,
  options: unknown,
): { l: Tensor; t: Tensor; ignoreIndex: number } {
  const opts = checkOptionsObject(fn, 'options', options, ['ignoreIndex']);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (typeof ignoreIndex !== 'number' || !Number.isInteger(ignoreIndex))
    throw invalidType(fn, 'options.ignoreIndex', 'an integer', ignoreIndex);
  const l = checkFloat(fn, 'logits', logits);
  if (l.rank !== 2 || l.shape[1] < 1)
    throw invalidValue(fn, 'logits', 'shape (rows, classes ≥ 1)', formatShape(l.shape));
  const t = checkLike(fn, 'targets', targets, l, 'logits');
  if (t.rank !== 1 || t.shape[0] !== l.shape[0])
    throw invalidValue(fn, 'targets', `shape (${l.shape[0]}) = logits rows`, formatShape(t.shape));
  const values = t.toArraySync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== ignoreIndex && (!Number.isInteger(v) || v < 0 || v >= l.shape[1])) {
      throw invalidValue(
        fn,
        'targets',
        `class ids in [0, ${l.shape[1]}) or ignoreIndex ${ignoreIndex}`,
        `${v} at row ${i}`,
      );
    }
  }
  return { l, t, ignoreIndex };
}

/** Scalar mean of −log softmax(logits)[target] over rows whose target ≠ ignoreIndex. */
export function crossEntropy(logits: Tensor, targets: Tensor, options?: CrossEntropyOptions): Tensor {
  const fn = 'crossEntropy';
  const { l, t, ignoreIndex } = checkCE(fn, logits, targets, options);
  const loss = newLike(l, []);
  withOutputs([loss], () =>
    l.backend.crossEntropy({ logits: l.ref(fn), targets: t.ref(fn), loss: loss.ref(fn), ignoreIndex }),
  );
  return loss;
}

/** dLoss/dLogits given the scalar upstream gradient dLoss. */
export function crossEntropyBackward(
  dLoss: Tensor,
  logits: Tensor,
  targets: Tensor,
  options?: CrossEntropyOptions,
): Tensor {
  const fn = 'crossEntropyBackward';
  const { l, t, ignoreIndex } = checkCE(fn, logits, targets, options);
  const g = checkLike(fn, 'dLoss', dLoss, l, 'logits');
  if (g.numel !== 1) throw invalidValue(fn, 'dLoss', 'a scalar', formatShape(g.shape));
  const dLogits = newLike(l, l.shape);
  withOutputs([dLogits], () =>
    l.backend.crossEntropyBackward({
      logits: l.ref(fn),
      targets: t.ref(fn),
      dLoss: g.ref(fn),
      dLogits: dLogits.ref(fn),
      ignoreIndex,
    }),
  );
  return dLogits;
}
