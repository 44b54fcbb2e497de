/**
 * out (batch, M, N) = op(a) · op(b). Two loop orders, both walking memory contiguously:
 *   b not transposed: i-k-j, out row += a[i,k] · b row k (a row of b streams through cache);
 *   b transposed (x · Wᵀ, the Linear forward): i-j-k dot products of two contiguous rows,
 *     four output columns at a time so each load of a[i,k] feeds four multiply-adds.
 * A transposed `a` (the weight gradient dyᵀ·x) is first copied to row-major scratch: the copy is
 * O(M·K) against the O(M·N·K) product. Sums run in float64 registers and round once on store.
 */
import type { MatMulArgs } from '../../kernel_names';
import { type Num, num } from './strided';

export function matMulCpu(args: MatMulArgs): void {
  const { batch, m, n, k, transposeA, transposeB } = args;
  const A = num(args.a);
  const B = num(args.b);
  const O = num(args.out);
  const bShared = args.b.shape[0] === 1 && batch > 1;
  const rowA = transposeA ? new Float64Array(m * k) : null;
  const acc = new Float64Array(n);
  for (let bi = 0; bi < batch; bi++) {
    let aBase = args.a.offset + bi * m * k;
    let aData: Num = A;
    if (rowA) {
      // a is stored (K, M): gather it to (M, K)
      for (let kk = 0; kk < k; kk++) for (let i = 0; i < m; i++) rowA[i * k + kk] = A[aBase + kk * m + i];
      aData = rowA;
      aBase = 0;
    }
    const bBase = args.b.offset + (bShared ? 0 : bi * k * n);
    const oBase = args.out.offset + bi * m * n;
    if (transposeB) dotRows(aData, aBase, B, bBase, O, oBase, m, n, k);
    else axpyRows(aData, aBase, B, bBase, O, oBase, m, n, k, acc);
  }
}

/** out[i, j] = Σ_k a[i, k] · b[j, k] (b stored (N, K)). */
function dotRows(
  A: Num,
  aBase: number,
  B: Num,
  bBase: number,
  O: Num,
  oBase: number,
  m: number,
  n: number,
  k: number,
): void {
  for (let i = 0; i < m; i++) {
    const ai = aBase + i * k;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = bBase + j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let kk = 0; kk < k; kk++) {
        const a = A[ai + kk];
        s0 += a * B[b0 + kk];
        s1 += a * B[b1 + kk];
        s2 += a * B[b2 + kk];
        s3 += a * B[b3 + kk];
      }
      const o = oBase + i * n + j;
      O[o] = s0;
      O[o + 1] = s1;
      O[o + 2] = s2;
      O[o + 3] = s3;
    }
    for (; j < n; j++) {
      const bj = bBase + j * k;
      let s = 0;
      for (let kk = 0; kk < k; kk++) s += A[ai + kk] * B[bj + kk];
      O[oBase + i * n + j] = s;
    }
  }
}

/** out[i, :] = Σ_k a[i, k] · b[k, :] (b stored (K, N)), accumulated in a float64 row. */
function axpyRows(
  A: Num,
  aBase: number,
  B: Num,
  bBase: number,
  O: Num,
  oBase: number,
  m: number,
  n: number,
  k: number,
  acc: Float64Array,
): void {
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    const ai = aBase + i * k;
    for (let kk = 0; kk < k; kk++) {
      const a = A[ai + kk];
      if (a === 0) continue; // one-hot and masked rows are common in gradients
      const bk = bBase + kk * n;
      for (let j = 0; j < n; j++) acc[j] += a * B[bk + j];
    }
    const o = oBase + i * n;
    for (let j = 0; j < n; j++) O[o + j] = acc[j];
  }
}
