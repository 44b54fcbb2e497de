/**
 * Gradients of MatMul for every transpose combination (stored shapes kept):
 *   C = A·B:   dA = dC·Bᵀ      dB = Aᵀ·dC
 *   C = A·Bᵀ:  dA = dC·B       dB = dCᵀ·A
 *   C = Aᵀ·B:  dA = B·dCᵀ      dB = A·dC
 *   C = Aᵀ·Bᵀ: dA = Bᵀ·dCᵀ     dB = dCᵀ·Aᵀ
 * A weight shared across a batch (rank-2 B with rank-3 A) gets the batch-summed gradient.
 */
import { broadcastTo, matmul, sum, type Tensor } from '@sscan/core';
import type { BackwardFn } from '../tape';

export function matMulGrad(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): BackwardFn {
  return ([dy]) => {
    if (!dy) return [null, null];
    const shared = a.rank === 3 && b.rank === 2;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      if (!transposeA) da = matmul(dy, b, { transposeB: !transposeB });
      else {
        // dA comes out as (b-side)·dCᵀ: b must be batched like dC for the batched kernel
        const bb = shared ? broadcastTo(b, [a.shape[0], ...b.shape]) : b;
        da = matmul(bb, dy, { transposeA: transposeB, transposeB: true });
        if (bb !== b) bb.dispose();
      }
    }
    if (b.requiresGrad) {
      const batched = !transposeB
        ? matmul(a, dy, { transposeA: !transposeA })
        : matmul(dy, a, { transposeA: true, transposeB: transposeA });
      if (shared) {
        db = sum(batched, 0);
        batched.dispose();
      } else db = batched;
    }
    return [da, db];
  };
}
