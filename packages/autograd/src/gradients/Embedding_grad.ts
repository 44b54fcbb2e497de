/** Gradient of Embedding: scatter-add of dy rows into the weight; token ids get none. */
import { embeddingBackward, type Tensor } from '@sscan/core';
import type { BackwardFn } from '../tape';

export function embeddingGrad(weight: Tensor, ids: Tensor): BackwardFn {
  return ([dy]) => [dy ? embeddingBackward(dy, ids, weight.shape[0]) : null, null];
}
