/**
 * out (batch, M, N) = op(a) · op(b), on the CPU thread pool (units = blocks of output rows).
 * Two loop orders, both streaming contiguous memory in the innermost loop:
 *   b not transposed: out row i = Σ_k a[i,k] · b row k, four k at a time into a float64 row, so
 *     each pass over the accumulator does four multiply-adds per element;
 *   b transposed (x · Wᵀ, the Linear forward): dot products of two contiguous rows, four output
 *     columns at a time so each load of a[i,k] feeds four multiply-adds.
 * A transposed `a` (the weight gradient dyᵀ·x) is read in place with stride M: each loaded value
 * still feeds N multiply-adds. Sums run in float64 and round once on store.
 *
 * `matMulKernel` is self-contained (no imports or outer references) because the thread pool
 * ships it to its workers as source text (thread_pool.ts).
 */
import type { MatMulArgs } from '../../kernel_names';
import { type Claim, runParallel } from '../thread_pool';
import { type Num, num } from './strided';

export interface MatMulJob {
  readonly A: Num;
  readonly B: Num;
  readonly O: Num;
  readonly aOff: number;
  readonly bOff: number;
  readonly oOff: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly bShared: boolean;
  readonly rowsPerUnit: number;
  readonly unitsPerBatch: number;
}

export function matMulKernel(job: MatMulJob, claim: Claim): void {
  const { A, B, O, m, n, k, transA, transB, rowsPerUnit, unitsPerBatch } = job;
  const acc = new Float64Array(n);
  // element (i, kk) of op(a) sits at aBase + i·ai + kk·ak
  const ai = transA ? 1 : k;
  const ak = transA ? m : 1;
  for (let unit = claim(); unit >= 0; unit = claim()) {
    const bi = Math.floor(unit / unitsPerBatch);
    const r0 = (unit % unitsPerBatch) * rowsPerUnit;
    const r1 = Math.min(m, r0 + rowsPerUnit);
    const aBase = job.aOff + bi * m * k;
    const bBase = job.bOff + (job.bShared ? 0 : bi * k * n);
    const oBase = job.oOff + bi * m * n;
    if (transB) {
      // b stored (N, K): out[i, j] = Σ_k a[i, k] · b[j, k]
      for (let i = r0; i < r1; i++) {
        const ar = aBase + i * ai;
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
            const a = A[ar + kk * ak];
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
          for (let kk = 0; kk < k; kk++) s += A[ar + kk * ak] * B[bj + kk];
          O[oBase + i * n + j] = s;
        }
      }
    } else {
      // b stored (K, N): out row i = Σ_k a[i, k] · b row k
      for (let i = r0; i < r1; i++) {
        acc.fill(0);
        const ar = aBase + i * ai;
        let kk = 0;
        for (; kk + 4 <= k; kk += 4) {
          const a0 = A[ar + kk * ak];
          const a1 = A[ar + (kk + 1) * ak];
          const a2 = A[ar + (kk + 2) * ak];
          const a3 = A[ar + (kk + 3) * ak];
          const b0 = bBase + kk * n;
          const b1 = b0 + n;
          const b2 = b1 + n;
          const b3 = b2 + n;
          for (let j = 0; j < n; j++)
            acc[j] += a0 * B[b0 + j] + a1 * B[b1 + j] + a2 * B[b2 + j] + a3 * B[b3 + j];
        }
        for (; kk < k; kk++) {
          const a = A[ar + kk * ak];
          const bk = bBase + kk * n;
          for (let j = 0; j < n; j++) acc[j] += a * B[bk + j];
        }
        const o = oBase + i * n;
        for (let j = 0; j < n; j++) O[o + j] = acc[j];
      }
    }
  }
}

export function matMulCpu(args: MatMulArgs): void {
  const { batch, m, n, k } = args;
  // ~32 units per batch entry: enough to balance two threads, few enough to keep dispatch cheap
  const rowsPerUnit = Math.max(1, Math.ceil(m / 32));
  const unitsPerBatch = Math.ceil(m / rowsPerUnit);
  const job: MatMulJob = {
    A: num(args.a),
    B: num(args.b),
    O: num(args.out),
    aOff: args.a.offset,
    bOff: args.b.offset,
    oOff: args.out.offset,
    m,
    n,
    k,
    transA: args.transposeA,
    transB: args.transposeB,
    bShared: args.b.shape[0] === 1 && batch > 1,
    rowsPerUnit,
    unitsPerBatch,
  };
  if (m === 0 || n === 0) return;
  runParallel(matMulKernel, job, batch * unitsPerBatch, {}, batch * m * n * k);
}
