/**
 * The model ops (kernel_names.ts, "Model ops") on one device against the CPU backend: written
 * once, run by each backend's test file (modelOps.cuda.gpu.test.ts on the GPU,
 * modelOps.standin.test.ts on CI through the fake addon). Every op, forward and backward,
 * float32 and float64, odd shapes, broadcast operands (stride 0), permuted, sliced and
 * concatenated views and 16-bit casts (the strided copy), sizes that take the kernels'
 * chunked (two-pass) reductions, and bitwise repeats of the reductions. Fresh random inputs
 * from a logged seed (rerun with SSCAN_TEST_SEED=<n>).
 *
 * Tolerances (|got - want| <= tol·(1 + |want|)): float64 1e-10 — both sides compute in
 * float64 but in different summation orders and with different exp/log implementations
 * (a few ulps, times the condition of the sum); float32 2e-6 — the device also computes in
 * float64 and rounds once, like the CPU twin, so one float32 ulp (6e-8) plus the order of
 * float64 sums; matmul float32 1e-4 — cuBLAS accumulates in float32 (K·eps for K <= 100).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  adamWUpdate,
  add,
  broadcastTo,
  cast,
  causalConv1d,
  causalConv1dBackward,
  concat,
  crossEntropy,
  crossEntropyBackward,
  div,
  embedding,
  embeddingBackward,
  exp,
  linear,
  log,
  matmul,
  mean,
  mul,
  neg,
  permute,
  rmsNorm,
  rmsNormBackward,
  sigmoid,
  silu,
  slice,
  sliceBackward,
  softplus,
  split,
  sub,
  sum,
  type Tensor,
  tensor,
  transpose,
  unaryBackward,
} from '../../index';
import { getBackendByName } from '../../registry';

type FloatDType = 'float32' | 'float64';
const DTYPES: readonly FloatDType[] = ['float32', 'float64'];
const TOL: Record<FloatDType, number> = { float32: 2e-6, float64: 1e-10 };
const UNARY = { neg, exp, log, sigmoid, silu, softplus } as const;

export interface ModelOpSuiteOptions {
  /** Run the large cases (chunked reductions over thousands of rows). Default true. */
  readonly large?: boolean;
}

export function describeModelOpConformance(device: 'cuda' | 'rocm', options: ModelOpSuiteOptions = {}): void {
  const large = options.large ?? true;
  const seed = process.env.SSCAN_TEST_SEED
    ? Number(process.env.SSCAN_TEST_SEED)
    : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
  let state = seed >>> 0;
  const uniform = (lo = -1, hi = 1) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo);
  };
  const int = (lo: number, hi: number) => Math.floor(uniform(lo, hi + 1));
  const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  /** A random CPU tensor and its copy on the device. */
  const pair = (shape: number[], dtype: FloatDType, lo = -1, hi = 1): [Tensor, Tensor] => {
    const c = tensor(
      Float64Array.from({ length: numel(shape) }, () => uniform(lo, hi)),
      shape,
      { dtype },
    );
    return [c, c.to(device)];
  };
  const ids = (n: number, vocab: number, dtype: FloatDType, ignore?: number): [Tensor, Tensor] => {
    const c = tensor(
      Float64Array.from({ length: n }, () =>
        ignore !== undefined && uniform() < -0.5 ? ignore : int(0, vocab - 1),
      ),
      [n],
      { dtype },
    );
    return [c, c.to(device)];
  };
  const close = (label: string, got: Tensor, want: Tensor, tol: number) => {
    expect(got.deviceName.startsWith(device), `${label}: ran on ${got.deviceName}`).toBe(true);
    expect(got.shape, `${label}: shape`).toEqual(want.shape);
    const g = got.toArraySync();
    const w = want.toArraySync();
    let worst = 0;
    let at = -1;
    for (let i = 0; i < w.length; i++) {
      // equal values pass outright (±Inf: 16-bit casts of large values overflow on both sides)
      const err = g[i] === w[i] ? 0 : Math.abs(g[i] - w[i]) / (1 + Math.abs(w[i]));
      if (!(err <= worst)) {
        worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
        at = i;
      }
    }
    expect(worst, `${label}: worst at flat index ${at}: got ${g[at]}, want ${w[at]}`).toBeLessThanOrEqual(
      tol,
    );
  };
  const sameBits = (label: string, a: Tensor, b: Tensor) =>
    expect(
      Buffer.from(a.toArraySync().buffer).equals(Buffer.from(b.toArraySync().buffer)),
      `${label}: same bits twice`,
    ).toBe(true);

  describe(`model ops on ${device} match the CPU backend (seed ${seed}, rerun with SSCAN_TEST_SEED=${seed})`, () => {
    afterAll(() => {
      const backend = getBackendByName(device) as { hostFallbackCount?: number };
      // Every view these tests make merges to rank <= 8: nothing may run on the host.
      if (backend.hostFallbackCount !== undefined) expect(backend.hostFallbackCount).toBe(0);
    });

    for (const dtype of DTYPES) {
      const tol = TOL[dtype];
      describe(dtype, () => {
        it('binary ops with broadcast operands of every kind', () => {
          const [a, ad] = pair([3, 5, 7], dtype);
          for (const shape of [[3, 5, 7], [5, 1], [7], [3, 1, 7], [], [1, 5, 1]]) {
            const [b, bd] = pair(shape, dtype, 0.5, 2);
            for (const [name, f] of [
              ['add', add],
              ['sub', sub],
              ['mul', mul],
              ['div', div],
            ] as const) {
              close(`${name} [3,5,7] with [${shape}]`, f(ad, bd), f(a, b), tol);
              close(`${name} [${shape}] with [3,5,7]`, f(bd, ad), f(b, a), tol);
            }
          }
          close('mul by a number', mul(ad, 2.5), mul(a, 2.5), tol);
          close('number minus', sub(1, ad), sub(1, a), tol);
        });

        it('unary ops and their gradients, odd lengths', () => {
          for (const shape of [[1], [257], [3, 67]]) {
            const [x, xd] = pair(shape, dtype, -30, 30);
            const [pos, posd] = pair(shape, dtype, 0.01, 40);
            const [g, gd] = pair(shape, dtype);
            for (const [op, f] of Object.entries(UNARY) as [keyof typeof UNARY, (t: Tensor) => Tensor][]) {
              const [i, id] = op === 'log' ? [pos, posd] : [x, xd];
              close(`${op} [${shape}]`, f(id), f(i), tol * 10);
              close(`${op} grad [${shape}]`, unaryBackward(op, id, gd), unaryBackward(op, i, g), tol * 10);
            }
          }
        });

        it('sum and mean over every axis set, short and long rows', () => {
          const [x, xd] = pair([4, 33, 5], dtype);
          for (const axes of [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]) {
            close(`sum [4,33,5] over [${axes}]`, sum(xd, axes, true), sum(x, axes, true), tol);
            close(`mean over [${axes}]`, mean(xd, axes), mean(x, axes), tol);
          }
          const [y, yd] = pair(large ? [300, 70] : [40, 70], dtype);
          for (const axes of [[0], [1]]) {
            close(`sum [${y.shape}] over [${axes}]`, sum(yd, axes), sum(y, axes), tol);
            sameBits(`sum over [${axes}]`, sum(yd, axes), sum(yd, axes));
          }
        });

        it('layout: permute, transpose, broadcastTo, slice, split, concat, sliceBackward, casts', () => {
          const [x, xd] = pair([3, 4, 5], dtype);
          close('permute', permute(xd, [2, 0, 1]), permute(x, [2, 0, 1]), 0);
          close('transpose', transpose(xd), transpose(x), 0);
          const [big, bigd] = pair([3, 70, 45], dtype);
          close('transpose [3,70,45]', permute(bigd, [0, 2, 1]), permute(big, [0, 2, 1]), 0);
          const [c, cd] = pair([3, 1], dtype);
          close('broadcastTo', broadcastTo(cd, [2, 3, 4]), broadcastTo(c, [2, 3, 4]), 0);
          close('slice', slice(xd, [1, 1, 2], [2, 2, 3]), slice(x, [1, 1, 2], [2, 2, 3]), 0);
          const [p, q] = split(xd, [2, 3], -1);
          close('concat of split', concat([q, p], -1), concat(split(x, [2, 3], -1).reverse(), -1), 0);
          close('concat axis 1', concat([xd, xd], 1), concat([x, x], 1), 0);
          const [g, gd] = pair([2, 2, 3], dtype);
          close(
            'sliceBackward',
            sliceBackward(gd, [3, 4, 5], [1, 1, 2]),
            sliceBackward(g, [3, 4, 5], [1, 1, 2]),
            0,
          );
          const other = dtype === 'float32' ? 'float64' : 'float32';
          close(`cast to ${other}`, cast(xd, other), cast(x, other), 0);
          for (const half of ['float16', 'bfloat16'] as const) {
            const [w, wd] = pair([5, 7], dtype, -70000, 70000);
            close(`cast to ${half} and back`, cast(cast(wd, half), dtype), cast(cast(w, half), dtype), 0);
            close(
              `${half} permuted`,
              cast(permute(cast(xd, half), [1, 2, 0]), dtype),
              cast(permute(cast(x, half), [1, 2, 0]), dtype),
              0,
            );
          }
        });

        it('matmul with every transpose, batched, shared weights, and linear', () => {
          const mtol = dtype === 'float32' ? 1e-4 : tol;
          const [bs, m, k, n] = [2, 17, 33, 9];
          const [a, ad] = pair([bs, m, k], dtype);
          const [w, wd] = pair([k, n], dtype);
          const [wb, wbd] = pair([bs, k, n], dtype);
          for (const ta of [false, true])
            for (const tb of [false, true]) {
              const A = ta ? transpose(a) : a;
              const Ad = ta ? transpose(ad) : ad;
              const opts = { transposeA: ta, transposeB: tb };
              close(
                `matmul shared ${ta} ${tb}`,
                matmul(Ad, tb ? transpose(wd) : wd, opts),
                matmul(A, tb ? transpose(w) : w, opts),
                mtol,
              );
              close(
                `matmul batched ${ta} ${tb}`,
                matmul(Ad, tb ? transpose(wbd) : wbd, opts),
                matmul(A, tb ? transpose(wb) : wb, opts),
                mtol,
              );
            }
          const [x2, x2d] = pair([m, k], dtype);
          close('matmul rank 2', matmul(x2d, wd), matmul(x2, w), mtol);
          const [lw, lwd] = pair([n, k], dtype);
          const [lb, lbd] = pair([n], dtype);
          close('linear', linear(ad, lwd, lbd), linear(a, lw, lb), mtol);
        });

        it('causal conv1d forward and backward, widths 1..8, with and without bias', () => {
          const cases: [number, number, number, number][] = [
            [2, 5, 37, 4],
            [1, 3, 3, 8],
            [3, 2, 11, 1],
          ];
          if (large) cases.push([2, 3, 3000, 4]);
          for (const [B, C, L, W] of cases) {
            const [x, xd] = pair([B, C, L], dtype);
            const [w, wd] = pair([C, W], dtype);
            const [b, bd] = pair([C], dtype);
            const [g, gd] = pair([B, C, L], dtype);
            for (const hasBias of [true, false]) {
              const label = `conv [${B},${C},${L}] width ${W} bias ${hasBias}`;
              close(
                label,
                causalConv1d(xd, wd, hasBias ? bd : null),
                causalConv1d(x, w, hasBias ? b : null),
                tol,
              );
              const got = causalConv1dBackward(gd, xd, wd, hasBias);
              const want = causalConv1dBackward(g, x, w, hasBias);
              close(`${label} dx`, got.dx, want.dx, tol);
              close(`${label} dWeight`, got.dWeight, want.dWeight, tol * 10);
              if (hasBias) close(`${label} dBias`, got.dBias as Tensor, want.dBias as Tensor, tol * 10);
              sameBits(`${label} dWeight`, got.dWeight, causalConv1dBackward(gd, xd, wd, hasBias).dWeight);
            }
          }
        });

        it('rmsNorm forward and backward', () => {
          const shapes = [
            [3, 7, 33],
            [1, 1],
            [5, 300],
          ];
          if (large) shapes.push([600, 64]);
          for (const shape of shapes) {
            const dim = shape[shape.length - 1];
            const [x, xd] = pair(shape, dtype);
            const [w, wd] = pair([dim], dtype);
            const [g, gd] = pair(shape, dtype);
            close(`rmsNorm [${shape}]`, rmsNorm(xd, wd, 1e-5), rmsNorm(x, w, 1e-5), tol);
            const got = rmsNormBackward(gd, xd, wd, 1e-5);
            const want = rmsNormBackward(g, x, w, 1e-5);
            close(`rmsNorm dx [${shape}]`, got.dx, want.dx, tol * 10);
            close(`rmsNorm dWeight [${shape}]`, got.dWeight, want.dWeight, tol * 10);
            sameBits(`rmsNorm dWeight [${shape}]`, got.dWeight, rmsNormBackward(gd, xd, wd, 1e-5).dWeight);
          }
        });

        it('embedding forward and backward with repeated ids', () => {
          const cases: [number, number, number][] = [
            [11, 17, 36],
            [1, 3, 5],
            [7, 300, 50],
          ];
          if (large) cases.push([5, 64, 9000]);
          for (const [vocab, dim, n] of cases) {
            const [w, wd] = pair([vocab, dim], dtype);
            const [i, id] = ids(n, vocab, dtype);
            const [g, gd] = pair([n, dim], dtype);
            const label = `embedding vocab ${vocab} dim ${dim} n ${n}`;
            close(label, embedding(wd, id), embedding(w, i), 0);
            const got = embeddingBackward(gd, id, vocab);
            close(`${label} backward`, got, embeddingBackward(g, i, vocab), tol * 10);
            sameBits(`${label} backward`, got, embeddingBackward(gd, id, vocab));
          }
        });

        it('cross-entropy forward and backward with ignored rows', () => {
          const cases: [number, number][] = [
            [9, 5],
            [1, 1],
            [40, 300],
          ];
          if (large) cases.push([5000, 20]);
          for (const [rows, classes] of cases) {
            const [l, ld] = pair([rows, classes], dtype, -20, 20);
            const [t, td] = ids(rows, classes, dtype, -100);
            const [dl, dld] = pair([], dtype);
            const label = `crossEntropy [${rows},${classes}]`;
            close(label, crossEntropy(ld, td), crossEntropy(l, t), tol * 10);
            close(
              `${label} backward`,
              crossEntropyBackward(dld, ld, td),
              crossEntropyBackward(dl, l, t),
              tol * 10,
            );
          }
          const [l, ld] = pair([3, 4], dtype);
          const none = tensor([-100, -100, -100], [3], { dtype });
          close('no counted row', crossEntropy(ld, none.to(device)), crossEntropy(l, none), 0);
        });

        it('AdamW and SGD steps in place', () => {
          for (const sgd of [false, true])
            for (const step of [1, 7]) {
              const shape = [int(1, 40), 33];
              const [p, pd] = pair(shape, dtype);
              const [g, gd] = pair(shape, dtype);
              const [m, md] = pair(shape, dtype);
              const [v, vd] = pair(shape, dtype, 0, 1);
              const o = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step, sgd };
              adamWUpdate(p, g, m, sgd ? null : v, o);
              adamWUpdate(pd, gd, md, sgd ? null : vd, o);
              close(`param sgd ${sgd} step ${step}`, pd, p, tol);
              close(`m sgd ${sgd} step ${step}`, md, m, tol);
              if (!sgd) close(`v step ${step}`, vd, v, tol);
            }
        });
      });
    }
  });
}
