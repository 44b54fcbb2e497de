/** out = f(x) elementwise; softplus keeps the scan's cut-off (scan_math.ts). */
import type { UnaryArgs } from '../../kernel_names';
import { dense } from './strided';

export function unaryCpu({ op, x, out }: UnaryArgs): void {
  const X = dense(x);
  const O = dense(out);
  const n = X.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) O[i] = -X[i];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) O[i] = Math.exp(X[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) O[i] = Math.log(X[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) O[i] = 1 / (1 + Math.exp(-X[i]));
      return;
    case 'silu':
      for (let i = 0; i < n; i++) O[i] = X[i] / (1 + Math.exp(-X[i]));
      return;
    case 'softplus':
      for (let i = 0; i < n; i++) O[i] = X[i] > 20 ? X[i] : Math.log1p(Math.exp(X[i]));
      return;
  }
}
