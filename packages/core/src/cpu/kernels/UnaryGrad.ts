/** dx = dy · f'(x), fused so a gate's backward is one pass. */
import type { UnaryGradArgs } from '../../kernel_names';
import { dense } from './strided';

export function unaryGradCpu({ op, x, dy, dx }: UnaryGradArgs): void {
  const X = dense(x);
  const G = dense(dy);
  const O = dense(dx);
  const n = X.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) O[i] = -G[i];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) O[i] = G[i] * Math.exp(X[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) O[i] = G[i] / X[i];
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const s = 1 / (1 + Math.exp(-X[i]));
        O[i] = G[i] * s * (1 - s);
      }
      return;
    case 'silu':
      for (let i = 0; i < n; i++) {
        const s = 1 / (1 + Math.exp(-X[i]));
        O[i] = G[i] * s * (1 + X[i] * (1 - s));
      }
      return;
    case 'softplus':
      // d softplus = sigmoid, and exactly 1 past the cut-off where softplus is the identity
      for (let i = 0; i < n; i++) O[i] = X[i] > 20 ? G[i] : G[i] / (1 + Math.exp(-X[i]));
      return;
  }
}
