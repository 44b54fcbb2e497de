/** One AdamW (or SGD-with-momentum) step in place; formulas in kernel_names.ts. */
import type { AdamWUpdateArgs } from '../../kernel_names';
import { dense } from './strided';

export function adamWUpdateCpu(a: AdamWUpdateArgs): void {
  const P = dense(a.param);
  const G = dense(a.grad);
  const M = dense(a.m);
  const n = P.length;
  if (a.sgd) {
    for (let i = 0; i < n; i++) {
      const m = a.beta1 * M[i] + G[i];
      M[i] = m;
      P[i] -= a.lr * (m + a.weightDecay * P[i]);
    }
    return;
  }
  const V = dense(a.v!);
  const c1 = 1 / (1 - a.beta1 ** a.step);
  const c2 = 1 / (1 - a.beta2 ** a.step);
  for (let i = 0; i < n; i++) {
    const g = G[i];
    const m = a.beta1 * M[i] + (1 - a.beta1) * g;
    const v = a.beta2 * V[i] + (1 - a.beta2) * g * g;
    M[i] = m;
    V[i] = v;
    // decoupled decay (Loshchilov & Hutter): applied to the weight, not mixed into the moments
    P[i] -= a.lr * ((m * c1) / (Math.sqrt(v * c2) + a.eps) + a.weightDecay * P[i]);
  }
}
