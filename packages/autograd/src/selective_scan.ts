/**
 * The differentiable selective scan: core's validated forward, asked to save what the backward
 * needs when an input requires grad, and one tape node over (out, lastState) so gradients may
 * come from either or both. Same overloads as @sscan/core's selectiveScan.
 */
import {
  type SelectiveScanOptions,
  selectiveScanForward,
  type Tensor,
  validateSelectiveScanCall,
} from '@sscan/core';
import { selectiveScanGrad } from './gradients/SelectiveScan_grad';
import { needsGrad, record } from './tape';

export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options?: SelectiveScanOptions & { returnLastState?: false },
): Tensor;
export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options: SelectiveScanOptions & { returnLastState: true },
): { out: Tensor; lastState: Tensor };
export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options?: SelectiveScanOptions,
): Tensor | { out: Tensor; lastState: Tensor };
export function selectiveScan(
  u: Tensor,
  delta: Tensor,
  A: Tensor,
  B: Tensor,
  C: Tensor,
  options?: SelectiveScanOptions,
): Tensor | { out: Tensor; lastState: Tensor } {
  const fn = 'selectiveScan';
  const { v, returnLastState } = validateSelectiveScanCall(fn, u, delta, A, B, C, options);
  const t = v.tensors;
  const inputs = [t.u, t.delta, t.A, t.B, t.C, t.D, t.z, t.deltaBias, t.initialState];
  const grad = needsGrad(inputs);
  const r = selectiveScanForward(fn, v, { lastState: returnLastState, saveForBackward: grad });
  if (grad) {
    record(
      'SelectiveScan',
      inputs,
      [r.out, r.lastState],
      r.saved ? [r.saved] : [],
      selectiveScanGrad(v, r.saved),
    );
  } else r.saved?.dispose();
  return returnLastState ? { out: r.out, lastState: r.lastState! } : r.out;
}
