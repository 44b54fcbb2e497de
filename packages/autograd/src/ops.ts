/**
 * The differentiable ops: each calls the @sscan/core op and, when an input requires grad (and
 * recording is on), records the gradient from gradients/<Kernel>_grad.ts. Composites (linear,
 * split, mean) are built from these and need no gradient code of their own.
 */

import type { DType, Tensor } from '@sscan/core';
import * as core from '@sscan/core';
import { binaryGrad } from './gradients/Binary_grad';
import { causalConv1dGrad } from './gradients/CausalConv1d_grad';
import { crossEntropyGrad } from './gradients/CrossEntropy_grad';
import { embeddingGrad } from './gradients/Embedding_grad';
import {
  broadcastToGrad,
  castGrad,
  concatGrad,
  identityGrad,
  permuteGrad,
  reshapeGrad,
  sliceGrad,
  splitGrad,
} from './gradients/Layout_grad';
import { matMulGrad } from './gradients/MatMul_grad';
import { rmsNormGrad } from './gradients/RMSNorm_grad';
import { reducedAxes, sumGrad } from './gradients/Sum_grad';
import { unaryGrad } from './gradients/Unary_grad';
import { needsGrad, record } from './tape';

const asInput = (x: Tensor | number): Tensor | null => (typeof x === 'number' ? null : x);

const BINARY = { add: core.add, sub: core.sub, mul: core.mul, div: core.div } as const;
const UNARY = {
  neg: core.neg,
  exp: core.exp,
  log: core.log,
  sigmoid: core.sigmoid,
  silu: core.silu,
  softplus: core.softplus,
} as const;

function binary(op: core.BinaryOp, a: Tensor | number, b: Tensor | number): Tensor {
  const out = BINARY[op](a, b);
  const inputs = [asInput(a), asInput(b)];
  if (needsGrad(inputs)) record('Binary', inputs, [out], [], binaryGrad(op, a, b));
  return out;
}
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b);
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b);
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b);
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b);

function unary(op: core.UnaryOp, x: Tensor): Tensor {
  const out = UNARY[op](x);
  if (needsGrad([x])) record('Unary', [x], [out], [], unaryGrad(op, x));
  return out;
}
export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const silu = (x: Tensor): Tensor => unary('silu', x);
export const softplus = (x: Tensor): Tensor => unary('softplus', x);

export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const out = core.sum(x, axes, keepDims);
  if (needsGrad([x])) record('Sum', [x], [out], [], sumGrad(x.shape, reducedAxes(x.rank, axes)));
  return out;
}

export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const out = core.mean(x, axes, keepDims);
  const ax = reducedAxes(x.rank, axes);
  const count = ax.reduce((c, a) => c * x.shape[a], 1);
  if (needsGrad([x])) record('Sum', [x], [out], [], sumGrad(x.shape, ax, 1 / count));
  return out;
}

export function matmul(a: Tensor, b: Tensor, options?: core.MatMulOptions): Tensor {
  const out = core.matmul(a, b, options);
  if (needsGrad([a, b]))
    record(
      'MatMul',
      [a, b],
      [out],
      [],
      matMulGrad(a, b, options?.transposeA ?? false, options?.transposeB ?? false),
    );
  return out;
}

/** x (..., in) · weightᵀ + bias, built from reshape, matmul and add. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (!(x instanceof core.Tensor) || !(weight instanceof core.Tensor) || weight.rank !== 2 || x.rank < 1)
    return core.linear(x, weight, bias); // validation errors
  const inner = x.shape[x.rank - 1];
  const flat = reshape(x, [x.numel / Math.max(inner, 1), inner]);
  const y = matmul(flat, weight, { transposeB: true });
  const shaped = reshape(y, [...x.shape.slice(0, -1), weight.shape[0]]);
  return bias ? add(shaped, bias) : shaped;
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = core.reshape(x, shape);
  if (needsGrad([x])) record('Reshape', [x], [out], [], reshapeGrad(x.shape));
  return out;
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const out = core.permute(x, perm);
  if (needsGrad([x])) record('Permute', [x], [out], [], permuteGrad(perm));
  return out;
}

export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const a = axis0 < 0 ? axis0 + x.rank : axis0;
  const b = axis1 < 0 ? axis1 + x.rank : axis1;
  if (a < 0 || a >= x.rank || b < 0 || b >= x.rank) return core.transpose(x, axis0, axis1); // its error
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

export function contiguous(x: Tensor): Tensor {
  const out = core.contiguous(x);
  if (needsGrad([x])) record('Contiguous', [x], [out], [], identityGrad);
  return out;
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const out = core.broadcastTo(x, shape);
  if (needsGrad([x])) record('BroadcastTo', [x], [out], [], broadcastToGrad(x.shape));
  return out;
}

export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const out = core.slice(x, begin, size);
  if (needsGrad([x])) record('Slice', [x], [out], [], sliceGrad(x.shape, [...begin]));
  return out;
}

/**
 * Pieces along `axis`, recorded as one node: its gradient is the concat of the pieces'
 * gradients (zeros for unused pieces), one copy instead of a zero-filled tensor per piece.
 */
export function split(x: Tensor, sizes: readonly number[], axis = -1): Tensor[] {
  const parts = core.split(x, sizes, axis);
  if (needsGrad([x])) record('Split', [x], parts, [], splitGrad(parts, axis < 0 ? axis + x.rank : axis));
  return parts;
}

export function concat(xs: readonly Tensor[], axis = -1): Tensor {
  const out = core.concat(xs, axis);
  if (needsGrad(xs))
    record('Concat', [...xs], [out], [], concatGrad(xs, axis < 0 ? axis + xs[0].rank : axis));
  return out;
}

export function cast(x: Tensor, dtype: DType): Tensor {
  const out = core.cast(x, dtype);
  if (needsGrad([x])) record('Cast', [x], [out], [], castGrad(x.dtype));
  return out;
}

export function causalConv1d(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const out = core.causalConv1d(x, weight, bias);
  const inputs = [x, weight, bias ?? null];
  if (needsGrad(inputs)) record('CausalConv1d', inputs, [out], [], causalConv1dGrad(x, weight, bias ?? null));
  return out;
}

export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-5): Tensor {
  const out = core.rmsNorm(x, weight, eps);
  if (needsGrad([x, weight])) record('RMSNorm', [x, weight], [out], [], rmsNormGrad(x, weight, eps));
  return out;
}

export function embedding(weight: Tensor, ids: Tensor): Tensor {
  const out = core.embedding(weight, ids);
  if (needsGrad([weight])) record('Embedding', [weight, ids], [out], [], embeddingGrad(weight, ids));
  return out;
}

export function crossEntropy(logits: Tensor, targets: Tensor, options?: core.CrossEntropyOptions): Tensor {
  const out = core.crossEntropy(logits, targets, options);
  if (needsGrad([logits]))
    record(
      'CrossEntropy',
      [logits, targets],
      [out],
      [],
      crossEntropyGrad(logits, targets, options?.ignoreIndex ?? -100),
    );
  return out;
}
