/** sum and mean over axes (all axes by default), with or without kept dimensions. */
import { mul } from './elementwise';
import { checkFloat, invalidType, newLike, normalizeAxis, type Tensor, withOutputs } from './op_utils';

function reduceAxes(fn: string, x: Tensor, axes: number | readonly number[] | undefined): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  if (!Array.isArray(list)) throw invalidType(fn, 'axes', 'an axis or an array of axes', axes);
  const out = [...new Set(list.map((a, i) => normalizeAxis(fn, `axes[${i}]`, a, x.rank)))];
  return out.sort((a, b) => a - b);
}

/** Σ of x over `axes` (default: all); keepDims leaves size-1 axes in their place. */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const fn = 'sum';
  const t = checkFloat(fn, 'x', x);
  const ax = reduceAxes(fn, t, axes);
  const kept = t.shape.map((s, i) => (ax.includes(i) ? 1 : s));
  const out = newLike(t, kept);
  withOutputs([out], () => t.backend.sum({ x: t.ref(fn), axes: ax, out: out.ref(fn) }));
  if (keepDims) return out;
  const squeezed = out.reshape(t.shape.filter((_, i) => !ax.includes(i)));
  out.dispose();
  return squeezed;
}

/** Mean of x over `axes` (default: all). */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const t = checkFloat('mean', 'x', x);
  const ax = reduceAxes('mean', t, axes);
  let count = 1;
  for (const a of ax) count *= t.shape[a];
  const s = sum(t, ax, keepDims);
  try {
    return mul(s, 1 / count);
  } finally {
    s.dispose();
  }
}
