/**
 * Gradients of the layout ops (all one StridedCopy kernel underneath, but each op moves the
 * gradient differently): reshape → reshape back; permute → inverse permutation; split → concat; broadcastTo →
 * sum over the broadcast axes; slice → the gradient written into zeros; concat → slices of dy;
 * cast → cast back; contiguous → identity.
 */
import { cast, concat, type DType, permute, slice, sliceBackward, type Tensor, zeros } from '@sscan/core';
import type { BackwardFn } from '../tape';
import { unbroadcast } from './unbroadcast';

export const reshapeGrad =
  (xShape: readonly number[]): BackwardFn =>
  ([dy]) => [dy ? dy.reshape(xShape) : null];

export function permuteGrad(perm: readonly number[]): BackwardFn {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p < 0 ? p + perm.length : p] = i;
  });
  return ([dy]) => [dy ? permute(dy, inverse) : null];
}

export const broadcastToGrad =
  (xShape: readonly number[]): BackwardFn =>
  ([dy]) => [dy ? unbroadcast(dy, xShape) : null];

export const sliceGrad =
  (xShape: readonly number[], begin: readonly number[]): BackwardFn =>
  ([dy]) => [dy ? sliceBackward(dy, xShape, begin) : null];

export function concatGrad(xs: readonly Tensor[], axis: number): BackwardFn {
  return ([dy]) => {
    if (!dy) return xs.map(() => null);
    let start = 0;
    return xs.map((x) => {
      const begin = x.shape.map((_, i) => (i === axis ? start : 0));
      start += x.shape[axis];
      return x.requiresGrad ? slice(dy, begin, x.shape) : null;
    });
  };
}

/** split: the pieces' gradients joined back along the axis; a piece without one contributes zeros. */
export function splitGrad(parts: readonly Tensor[], axis: number): BackwardFn {
  const shapes = parts.map((p) => p.shape);
  const { dtype } = parts[0];
  const device = parts[0].deviceName;
  return (dys) => {
    const pieces = shapes.map((shape, i) => dys[i] ?? zeros(shape, { dtype, device }));
    const g = concat(pieces, axis);
    pieces.forEach((p, i) => {
      if (p !== dys[i]) p.dispose();
    });
    return [g];
  };
}

export const castGrad =
  (dtype: DType): BackwardFn =>
  ([dy]) => [dy ? cast(dy, dtype) : null];

export const identityGrad: BackwardFn = ([dy]) => [dy ?? null];
