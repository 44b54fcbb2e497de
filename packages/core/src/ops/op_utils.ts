/** Small helpers shared by the model ops: dtype checks, axes, broadcasting, safe kernel runs. */
import type { DType } from '../dtype';
import { formatShape, invalidType, invalidValue } from '../errors';
import type { BufferRef } from '../kernel_names';
import { contiguousStrides, emptyLike, Tensor } from '../tensor';
import { checkDtypeIn, checkSameDevice, checkTensor } from './validate';

/** The dtypes the model-op kernels compute in (16-bit tensors go through `cast` first). */
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float64'];

export function checkFloat(fn: string, arg: string, value: unknown): Tensor {
  const t = checkTensor(fn, arg, value);
  checkDtypeIn(fn, arg, t, FLOAT_DTYPES, 'cast 16-bit tensors with cast() first');
  return t;
}

/** Second operand of a binary op: same dtype and device as the first. */
export function checkLike(fn: string, arg: string, value: unknown, like: Tensor, likeName: string): Tensor {
  const t = checkFloat(fn, arg, value);
  checkDtypeIn(fn, arg, t, [like.dtype], `the same as '${likeName}'`);
  checkSameDevice(fn, [likeName, like], [[arg, t]]);
  return t;
}

/** An axis in [-rank, rank), normalised to [0, rank). */
export function normalizeAxis(fn: string, arg: string, axis: unknown, rank: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis))
    throw invalidType(fn, arg, 'an integer axis', axis);
  if (axis < -rank || axis >= rank)
    throw invalidValue(fn, arg, `an axis in [${-rank}, ${rank - 1}] for a rank-${rank} tensor`, String(axis));
  return axis < 0 ? axis + rank : axis;
}

/** numpy broadcasting: align from the right; each pair equal or one of them 1. */
export function broadcastShapes(
  fn: string,
  a: readonly number[],
  b: readonly number[],
  argB = 'b',
): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw invalidValue(fn, argB, `a shape broadcastable with ${formatShape(a)}`, formatShape(b));
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** t viewed in `shape` (t broadcastable to it): stride 0 on broadcast axes. */
export function broadcastRef(fn: string, t: Tensor, shape: readonly number[]): BufferRef {
  const ref = t.ref(fn);
  const own = contiguousStrides(t.shape);
  const strides = shape.map((s, i) => {
    const j = i - (shape.length - t.shape.length);
    return j < 0 || (t.shape[j] === 1 && s !== 1) ? 0 : own[j];
  });
  return { ...ref, shape, strides };
}

/** Run a kernel writing fresh outputs; the outputs are disposed if the kernel throws. */
export function withOutputs<T extends Tensor[]>(outputs: T, kernel: () => void): T {
  try {
    kernel();
  } catch (err) {
    for (const t of outputs) t.dispose();
    throw err;
  }
  return outputs;
}

/** A fresh contiguous tensor on like's device. */
export function newLike(like: Tensor, shape: readonly number[], dtype: DType = like.dtype): Tensor {
  return emptyLike(like, shape, dtype);
}

export { checkSameDevice, checkTensor, formatShape, invalidType, invalidValue, Tensor };
