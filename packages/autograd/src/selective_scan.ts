/**
 * The differentiable selective scan: core's validated forward, asked to save what the backward
 * needs when an input requires grad, and one tape node over (out, lastState) so gradients may
 * come from either or both. Same overloads as @sscan/core's selectiveScan.
 */
import {
  type SelectiveScanOptions,
  selectiveScanForward,
  type Tensor,
  validateSelectiveScan,
} from '@sscan/core';
import { selectiveScanGrad } from './gradients/SelectiveScan_grad';
import { needsGrad, record } from './tape';

const SCAN_OPTIONS = ['D', 'z', 'deltaBias', 'deltaSoftplus', 'returnLastState', 'initialState'];

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
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new TypeError(
      `${fn}: argument 'options' must be an options object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const opts = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(opts)) {
    if (!SCAN_OPTIONS.includes(key))
      throw new RangeError(
        `${fn}: argument 'options' must be an object with keys among ${SCAN_OPTIONS.join(', ')}, got unknown key '${key}'`,
      );
  }
  const returnLastState = opts.returnLastState ?? false;
  if (typeof returnLastState !== 'boolean')
    throw new TypeError(
      `${fn}: argument 'options.returnLastState' must be a boolean, got ${typeof returnLastState}`,
    );
  const v = validateSelectiveScan(fn, u, delta, A, B, C, opts);
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
