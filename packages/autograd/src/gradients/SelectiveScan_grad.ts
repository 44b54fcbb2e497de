/**
 * Gradient of SelectiveScan: one SelectiveScanBackward kernel gives dL/d every input (u, delta,
 * A, B, C, D, z, deltaBias, initialState) from dL/dout and, when the caller used it, dL/dlastState.
 * Saves: the forward's `saved` tensor (chunk carries: the backward then does not rescan from the
 * start), owned by the node and disposed when the tape is freed. A missing dL/dout (only lastState
 * was used) is zeros.
 */
import { runBackward, type Tensor, type ValidatedScan, zeros } from '@sscan/core';
import type { BackwardFn } from '../tape';

export function selectiveScanGrad(v: ValidatedScan, saved: Tensor | null): BackwardFn {
  return (grads) => {
    const gradOut = grads[0] ?? null;
    const gradLastState = grads[1] ?? null;
    if (!gradOut && !gradLastState) return [];
    const u = v.tensors.u;
    const dOut = gradOut ?? zeros(u.shape, { dtype: u.dtype, device: u.deviceName });
    try {
      const g = runBackward('selectiveScan (backward)', v, dOut, gradLastState, saved, false);
      return [g.du, g.ddelta, g.dA, g.dB, g.dC, g.dD, g.dz, g.dDeltaBias, g.dInitialState];
    } finally {
      if (dOut !== gradOut) dOut.dispose();
    }
  };
}
