/** Gradient of CrossEntropy for the logits ((softmax − onehot)·dLoss/count); targets get none. */
import { crossEntropyBackward, type Tensor } from '@sscan/core';
import type { BackwardFn } from '../tape';

export function crossEntropyGrad(logits: Tensor, targets: Tensor, ignoreIndex: number): BackwardFn {
  return ([dLoss]) => [dLoss ? crossEntropyBackward(dLoss, logits, targets, { ignoreIndex }) : null, null];
}
