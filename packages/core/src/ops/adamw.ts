/** In-place optimizer updates (AdamW, SGD with momentum) for @sscan/nn's optimizers. */
import { checkFloat, checkLike, formatShape, invalidType, invalidValue, type Tensor } from './op_utils';

export interface AdamWUpdateOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count (for the bias corrections). */
  step: number;
  /** SGD with momentum = beta1 instead of Adam (v unused). */
  sgd?: boolean;
}

/** Update param, m (and v) in place from grad. */
export function adamWUpdate(
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor | null,
  o: AdamWUpdateOptions,
): void {
  const fn = 'adamWUpdate';
  const p = checkFloat(fn, 'param', param);
  const pairs: Array<[string, Tensor | null]> = [
    ['grad', grad],
    ['m', m],
    ['v', v],
  ];
  for (const [name, t] of pairs) {
    if (t === null && name === 'v' && o.sgd) continue;
    const c = checkLike(fn, name, t, p, 'param');
    if (c.shape.join() !== p.shape.join())
      throw invalidValue(fn, name, `shape ${formatShape(p.shape)} like 'param'`, formatShape(c.shape));
  }
  for (const key of ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'step'] as const) {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key]))
      throw invalidType(fn, `options.${key}`, 'a finite number', o[key]);
  }
  p.backend.adamWUpdate({
    param: p.ref(fn),
    grad: grad.ref(fn),
    m: m.ref(fn),
    v: v?.ref(fn) ?? null,
    lr: o.lr,
    beta1: o.beta1,
    beta2: o.beta2,
    eps: o.eps,
    weightDecay: o.weightDecay,
    step: o.step,
    sgd: o.sgd ?? false,
  });
}
